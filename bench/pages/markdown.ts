// Result rows as Markdown, for the pages' Copy button and for npm run bench (no DOM here).

export type Row = Record<string, string | number>;

/** Rows as a Markdown table, columns in the given order. */
export function toMarkdown(rows: readonly Row[], columns: readonly string[]): string {
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? format(v) : (v ?? ''));
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`),
  ].join('\n');
}

/** Whole numbers below 1e9 exactly (batch sizes, bytes); others to 3 significant digits, no exponent below 1e6. */
export function format(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  if (Math.abs(v) >= 1e6) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}
