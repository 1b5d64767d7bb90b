// Shared by the step benchmarks: the --steps option and one Markdown row + JSON line per run.

export const WARMUP = 3;

/** The value after `--name` on the command line, or the fallback. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** `--steps N` from the command line (default 20). */
export function stepsOption(): number {
  const steps = Number(option('steps', '20'));
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer`);
  return steps;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Prints the timings of `steps` timed steps (ms) as a Markdown table row and a final JSON line. */
export function reportStep(
  impl: string,
  model: string,
  batch: number,
  t: { fwdBwd: number[]; update: number[] },
  finalLoss: number,
  extra: Record<string, unknown> = {},
): void {
  const total = t.fwdBwd.map((v, i) => v + t.update[i]);
  const r = (v: number) => Math.round(v * 100) / 100;
  const result = {
    bench: 'cpu-step',
    impl,
    model,
    batch,
    warmup: WARMUP,
    steps: total.length,
    medianMs: r(median(total)),
    minMs: r(Math.min(...total)),
    fwdBwdMedianMs: r(median(t.fwdBwd)),
    updateMedianMs: r(median(t.update)),
    finalLoss: Number(finalLoss.toFixed(4)),
    ...extra,
  };
  console.log('| impl | model | batch | steps | median ms/step | min ms/step | fwd+bwd median | update median | loss |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${impl} | ${model} | ${batch} | ${result.steps} | ${result.medianMs} | ${result.minMs} | ${result.fwdBwdMedianMs} | ${result.updateMedianMs} | ${result.finalLoss} |`,
  );
  console.log(JSON.stringify(result));
}
