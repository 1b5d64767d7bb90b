// npm run bench -- [--quick] [--pages ops,step,peers] [--repeats N] [--warmup N] [--sizes a,b,c] [--out FILE]
// Runs the benchmark pages in headless Chrome (system Chromium, WebGPU on), writes every page's
// environment and rows to bench/results/<date>.json, and prints the tables as Markdown.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { parseFlags, UsageError } from '../src/cli/flags.ts';
import { buildPages, collectConsoleErrors, launchChrome, removePages, servePages } from '../test/browser.ts';
import type { BenchState } from './pages/common.ts';
import { toMarkdown } from './pages/markdown.ts';

const allPages = ['ops', 'step', 'peers'] as const;
const usage = `usage: npm run bench -- [options]
  --quick           few sizes and repeats: the whole run in under 5 minutes here
  --pages LIST      which pages, comma-separated: ${allPages.join(',')} (default all)
  --repeats N       timed runs per measurement (median reported)
  --warmup N        untimed runs first
  --sizes LIST      sizes for the pages (ops: elements, step: batch sizes)
  --out FILE        default bench/results/<date>.json`;

const flags = {
  quick: { kind: 'bool' },
  pages: { kind: 'string' },
  repeats: { kind: 'int', min: 1 },
  warmup: { kind: 'int', min: 0 },
  sizes: { kind: 'sizes' },
  out: { kind: 'string' },
  help: { kind: 'bool' },
} as const;

async function main(): Promise<number> {
  let o: ReturnType<typeof parseFlags<typeof flags>>;
  let pages: string[];
  try {
    o = parseFlags(process.argv.slice(2), flags);
    pages = o.pages ? o.pages.split(',') : [...allPages];
    for (const p of pages) if (!(allPages as readonly string[]).includes(p)) throw new UsageError(`--pages: unknown page ${JSON.stringify(p)}`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench: ${e.message}\n${usage}`);
    return 2;
  }
  if (o.help) {
    console.log(usage);
    return 0;
  }
  const query = new URLSearchParams();
  if (o.quick) query.set('quick', '1');
  if (o.repeats) query.set('repeats', String(o.repeats));
  if (o.warmup !== undefined) query.set('warmup', String(o.warmup));
  if (o.sizes) query.set('sizes', o.sizes.join(','));

  const started = Date.now();
  console.error('bench: building the pages');
  const outDir = await buildPages();
  const server = await servePages(outDir);
  const browser = await launchChrome();
  const results: Record<
    string,
    { env: BenchState['env']; rows: BenchState['rows']; tables?: BenchState['tables']; error: string | null; consoleErrors: string[]; seconds: number }
  > = {};
  let failed = false;
  try {
    for (const name of pages) {
      const t0 = Date.now();
      const page = await browser.newPage();
      const consoleErrors = collectConsoleErrors(page);
      console.error(`bench: ${name} ...`);
      await page.goto(`${server.url}/bench/${name}/?${query}`);
      let last = '';
      for (;;) {
        const s = await page.evaluate(() => window.__bench && { status: window.__bench.status, progress: window.__bench.progress });
        if (s && s.status !== 'running') break;
        if (s && s.progress !== last) console.error(`  ${name}: ${(last = s.progress)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
      const state = await page.evaluate(() => window.__bench);
      results[name] = { env: state.env, rows: state.rows, tables: state.tables, error: state.error, consoleErrors, seconds: (Date.now() - t0) / 1000 };
      if (state.status === 'error' || consoleErrors.length > 0) {
        failed = true;
        console.error(`bench: ${name} failed: ${state.error ?? consoleErrors.join('\n')}`);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
    await removePages(outDir);
  }

  const date = new Date().toISOString();
  const out = o.out ?? `bench/results/${date.slice(0, 10)}.json`;
  const machine = { platform: `${platform()} ${release()}`, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version };
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date, machine, options: Object.fromEntries(query), pages: results }, null, 2)}\n`);

  const first = Object.values(results)[0]?.env;
  console.log(`# chainrule benchmarks, ${date.slice(0, 10)}\n`);
  if (first)
    console.log(`Adapter: ${first.adapter}${first.software ? ' (software)' : ''}. Browser: ${first.browser}. Machine: ${machine.cpus} x ${machine.cpu}.\n`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`## ${name}\n`);
    if (r.env) console.log(`${r.env.methodology}\n`);
    const columns = [...new Set(r.rows.flatMap((row) => Object.keys(row)))]; // rows of a page may differ (GFLOP/s only for matmul)
    if (r.rows.length > 0) console.log(`${toMarkdown(r.rows, columns)}\n`);
    for (const [title, table] of Object.entries(r.tables ?? {})) console.log(`### ${title}\n\n${table}\n`);
    if (r.error) console.log(`**Failed:** ${r.error}\n`);
  }
  console.error(`bench: wrote ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
