// The peer page: one SGD step of the same MLPs, a conv layer's forward and backward, one SGD step
// of a small CNN and square matmuls in chainrule, jax-js and TF.js (each on its own WebGPU device
// from the same adapter), timed to each library's GPU completion, warm-up excluded, median of N;
// then, in a profiling run of its own, each library's MLP and CNN steps kernel by kernel
// (kernel-times.ts). A peer that fails to load or to get WebGPU gets rows with its
// error, shown on the page; only a chainrule failure fails the page.
import { done, fail, format, logChart, options, progress, showResults, start, state, time, toMarkdown, type Row } from '../pages/common.ts';
import * as cr from 'chainrule';
import { chainrule } from './chainrule.ts';
import { watchPipelines } from './kernel-times.ts';
import { libraries, type LibraryInfo } from './versions.ts';
import { rng } from '../../src/random.ts';
import {
  CONV,
  MLPS,
  cnnData,
  cnnSize,
  convData,
  convFlops,
  convSize,
  mlpData,
  mlpSize,
  timeWith,
  type ConvResult,
  type ConvRunner,
  type KernelEntry,
  type Library,
  type MatmulRunner,
  type MlpRunner,
  type PeersState,
} from './workloads.ts';

const query = new URLSearchParams(location.search);
const quick = query.get('quick') === '1';
const opts = options({ repeats: 10, warmup: quick ? 1 : 2 });
const repeats = quick && !query.has('repeats') ? 3 : opts.repeats;
const warmup = opts.warmup;
/** SGD steps each library runs (the first is a warm-up that also reads the first loss). */
const steps = Math.max(warmup, 1) + repeats;
const sizes = opts.sizes ?? (quick ? [256, 512, 1024] : [256, 512, 1024, 2048]);
/**
 * The conv layer's runs: one warm-up and one timed run in quick mode (a run takes seconds on a
 * software adapter: about 4 s in chainrule and 15 s in TF.js on SwiftShader), unless ?repeats= says.
 */
const convCounts = quick && !query.has('repeats') ? { warmup: 1, repeats: 1 } : { warmup: Math.max(warmup, 1), repeats };
/** Steps of each library's profiling run (after its timed runs). */
const profileSteps = quick ? 3 : 10;
/** The CNN's profiling run: one step in quick mode (a TF.js step with one dispatch per pass takes seconds on a software adapter). */
const cnnProfileSteps = quick ? 1 : profileSteps;

const COLUMNS = ['workload', 'size', 'library', 'median ms', 'GFLOP/s', 'first loss', 'final loss', 'check', 'vs chainrule', 'note'];
const COLORS: Record<string, string> = { chainrule: '#2563eb', 'jax-js': '#16a34a', 'TF.js': '#ea580c' };
/** How far apart the final losses may be (relative) before the page flags it; the conv gradients too (relative to their largest value). */
const LOSS_TOLERANCE = 1e-3;

interface Peer {
  info: LibraryInfo;
  load: () => Promise<Library>;
}

/** A library as loaded: the adapter, or why it could not be. */
interface Loaded {
  info: LibraryInfo;
  lib: Library | null;
  error: string | null;
}

// The peers load on demand: a failed import is that peer's error, not the page's.
const peers: Peer[] = [
  { info: libraries.jax, load: async () => (await import('./jax.ts')).jax },
  { info: libraries.tfjs, load: async () => (await import('./tfjs.ts')).tfjs },
];

const rows: Row[] = [];
const peerErrors: string[] = [];

function addRow(row: Row): void {
  rows.push(row);
  showResults(rows, COLUMNS);
}

function peerError(name: string, what: string, error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  peerErrors.push(`${name}, ${what}: ${message}`);
  const box = document.getElementById('peer-errors')!;
  box.hidden = false;
  box.textContent = `A peer failed (its rows say why; chainrule's results stand):\n${peerErrors.join('\n')}`;
  return message;
}

function headerLine(label: string, text: string): void {
  const p = document.createElement('p');
  p.innerHTML = `<strong>${label}</strong> `;
  p.append(text);
  document.getElementById('env')?.append(p);
}

async function main(): Promise<void> {
  const all = [libraries.chainrule, ...peers.map((p) => p.info)];
  await start(
    'peers',
    `${all.map((l) => `${l.name} ${l.version}`).join(', ')}. ${warmup} warm-up run(s) excluded, median of ${repeats}, ` +
      `each timing awaits the library's GPU completion. MLPs ${MLPS.map(mlpSize).join('; ')}: every library runs the same number of steps ` +
      `from the same seeded weights and data, then ${profileSteps} more in a profiling run of its own (kernel times; the CNN ${cnnProfileSteps}). ` +
      `Conv layer forward and backward, ${convSize(CONV)}: ${convCounts.warmup} warm-up run(s), median of ${convCounts.repeats}. CNN step ${cnnSize}. Matmul sizes ${sizes.join(', ')}.`,
  );
  headerLine('Libraries', all.map((l) => `${l.name} ${l.version}`).join(' · '));
  for (const l of all) headerLine(`${l.name}:`, l.method);

  // Before the peers create their devices (chainrule's exists): timestamp-query and pipeline names.
  const unwatch = watchPipelines();
  try {
    // Load the peers (each may fail on its own).
    const libs: Loaded[] = [{ info: libraries.chainrule, lib: chainrule, error: null }];
    for (const peer of peers) {
      progress(`loading ${peer.info.name}…`);
      try {
        libs.push({ info: peer.info, lib: await peer.load(), error: null });
      } catch (e) {
        libs.push({ info: peer.info, lib: null, error: peerError(peer.info.name, 'loading', e) });
      }
    }
    // 1. The MLP steps, 2. the conv layer, 3. the CNN step, 4. matmul.
    for (const spec of MLPS) {
      const data = mlpData(spec, 1);
      await trainStep('MLP step', mlpSize(spec), (lib) => lib.mlp(data), libs, profileSteps);
    }
    await convLayer(libs);
    const cnn = cnnData();
    await trainStep('CNN step', cnnSize, (lib) => lib.cnn(cnn), libs, cnnProfileSteps);
    await matmuls(libs);
  } finally {
    unwatch();
  }
}

/** One network's SGD step (an MLP's, the CNN's) in every library: timed, its losses compared, then its kernels profiled. */
async function trainStep(workload: string, size: string, make: (lib: Library) => Promise<MlpRunner>, libs: readonly Loaded[], profiled: number): Promise<void> {
  let crStep = NaN;
  const losses: { name: string; loss: number }[] = [];
  for (const entry of libs) {
    const name = entry.info.name;
    const base = { workload, size, library: name };
    if (!entry.lib) {
      addRow({ ...base, note: `failed to load: ${entry.error}` });
      continue;
    }
    progress(`${workload} ${size}: ${name}…`);
    let runner: MlpRunner | null = null;
    try {
      runner = await make(entry.lib);
      const r = runner;
      // The first step (a warm-up: it compiles the kernels) also gives the first loss; the page reads it outside any timing.
      const t0 = performance.now();
      r.step();
      await r.sync();
      const firstMs = performance.now() - t0;
      const first = await r.loss();
      const rest = { warmup: Math.max(warmup - 1, 0), repeats };
      const t = await measure(
        name,
        () => r.step(),
        () => r.sync(),
        rest,
      );
      const final = await r.loss();
      if (name === 'chainrule') crStep = t.median;
      losses.push({ name, loss: final });
      // Losses as text with 6 decimals: the table's numbers keep 3 significant digits, too few to compare.
      addRow({
        ...base,
        'median ms': t.median,
        'first loss': first.toFixed(6),
        'final loss': final.toFixed(6),
        'vs chainrule': t.median / crStep,
        note: [`${steps} steps, the first (compiling) ${firstMs.toFixed(0)} ms`, r.note?.()].filter(Boolean).join('; '),
      });
      // The profiling run, after the timed runs and the loss: more steps of the same runner, every kernel timed.
      progress(`${workload} ${size}: ${name}'s kernels…`);
      try {
        const report = await entry.lib.profile(
          () => r.step(),
          () => r.sync(),
          profiled,
        );
        showKernels({ ...base, ...report });
      } catch (e) {
        if (name === 'chainrule') throw e;
        peerError(name, `profiling the ${workload} ${size}`, e); // the timed row stands
      }
    } catch (e) {
      if (name === 'chainrule') throw e;
      addRow({ ...base, note: `failed: ${peerError(name, `${workload} ${size}`, e)}` });
    } finally {
      runner?.dispose();
    }
  }
  showLossCheck(`${workload.replace(/ step$/, '')} ${size}`, losses);
}

/**
 * The conv layer's forward and backward in every library, in GFLOP/s (forward 2 N OC OH OW C KH KW,
 * backward twice that); each peer's loss and gradients compared with chainrule's, value by value.
 */
async function convLayer(libs: readonly Loaded[]): Promise<void> {
  const data = convData(CONV);
  const size = convSize(CONV);
  const flops = 3 * convFlops(CONV);
  let crMs = NaN;
  let ref: ConvResult | null = null;
  const gaps: { name: string; gap: number; sum: number }[] = [];
  for (const entry of libs) {
    const name = entry.info.name;
    const base = { workload: 'conv fwd+bwd', size, library: name };
    if (!entry.lib) {
      addRow({ ...base, note: `failed to load: ${entry.error}` });
      continue;
    }
    progress(`conv ${size}: ${name}…`);
    let runner: ConvRunner | null = null;
    try {
      runner = await entry.lib.conv(data);
      const r = runner;
      // The first run (a warm-up: it compiles the kernels) timed on its own.
      const t0 = performance.now();
      r.run();
      await r.sync();
      const firstMs = performance.now() - t0;
      const t = await measure(
        name,
        () => r.run(),
        () => r.sync(),
        { warmup: convCounts.warmup - 1, repeats: convCounts.repeats },
      );
      const result = await r.result();
      ref ??= result; // chainrule runs first
      const gap = convGap(result, ref);
      if (name === 'chainrule') crMs = t.median;
      else gaps.push({ name, gap: gap.max, sum: sumOf(result.dw) });
      addRow({
        ...base,
        'median ms': t.median,
        'GFLOP/s': flops / (t.median * 1e6),
        check: `Σdw ${sumOf(result.dw).toPrecision(7)}, Σdb ${sumOf(result.db).toPrecision(7)}, loss ${result.loss.toPrecision(7)}`,
        'vs chainrule': t.median / crMs,
        note: [
          `median of ${convCounts.repeats}, the first run (compiling) ${firstMs.toFixed(0)} ms`,
          name === 'chainrule'
            ? 'y = conv(x, w) + b, loss sum(y * g); dx, dw, db'
            : `max |Δ| vs chainrule, relative to the largest value: ${gap.text} (${gap.max <= LOSS_TOLERANCE ? 'within' : 'OUTSIDE'} ${LOSS_TOLERANCE})`,
        ].join('; '),
      });
    } catch (e) {
      if (name === 'chainrule') throw e;
      addRow({ ...base, note: `failed: ${peerError(name, `conv ${size}`, e)}` });
    } finally {
      runner?.dispose();
    }
  }
  const el = document.createElement('p');
  document.getElementById('loss-check')!.append(el);
  if (!gaps.length) {
    el.textContent = `conv ${size}: no peer ran the layer: no gradients to compare chainrule's with.`;
    el.className = 'notice';
    return;
  }
  const worst = Math.max(...gaps.map((g) => g.gap));
  const ok = gaps.every((g) => Number.isFinite(g.gap)) && worst <= LOSS_TOLERANCE;
  el.textContent =
    `Correctness cross-check, conv ${size}: the loss and dx, dw, db from the same x, w, b and g, value by value: ` +
    `Σdw chainrule ${sumOf(ref!.dw).toPrecision(7)}, ${gaps.map((g) => `${g.name} ${g.sum.toPrecision(7)}`).join(', ')}. ` +
    `Largest difference from chainrule, relative to the largest value: ${worst.toExponential(1)} (${ok ? 'within' : 'OUTSIDE'} ${LOSS_TOLERANCE}).`;
  if (!ok) el.className = 'notice';
}

/** The largest |a - b| of each of the loss, dx, dw and db, relative to the largest |b| (NaN for a wrong length). */
function convGap(a: ConvResult, b: ConvResult): { max: number; text: string } {
  const rel = (x: Float32Array, y: Float32Array): number => {
    if (x.length !== y.length) return NaN;
    let [d, m] = [0, 0];
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i] - y[i]));
      m = Math.max(m, Math.abs(y[i]));
    }
    return d / m;
  };
  const gaps = {
    loss: Math.abs(a.loss - b.loss) / Math.abs(b.loss),
    dx: rel(a.dx, b.dx),
    dw: rel(a.dw, b.dw),
    db: rel(a.db, b.db),
  };
  const values = Object.values(gaps);
  return {
    max: values.some((v) => !Number.isFinite(v)) ? NaN : Math.max(...values),
    text: Object.entries(gaps)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(', '),
  };
}

const sumOf = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);

/** Square matmuls in every library, in GFLOP/s, charted. */
async function matmuls(libs: readonly Loaded[]): Promise<void> {
  const series = new Map<string, [number, number][]>();
  for (const n of sizes) {
    const a = uniformMatrix(n, 10 + n),
      b = uniformMatrix(n, 20 + n);
    let crMs = NaN;
    for (const entry of libs) {
      const name = entry.info.name;
      const base = { workload: 'matmul', size: `${n}×${n}`, library: name }; // text: the table rounds numbers to 3 digits
      if (!entry.lib) {
        addRow({ ...base, note: `failed to load: ${entry.error}` });
        continue;
      }
      progress(`matmul ${n}: ${name}…`);
      let runner: MatmulRunner | null = null;
      try {
        runner = await entry.lib.matmul(n, a, b);
        const r = runner;
        const t = await measure(
          name,
          () => r.run(),
          () => r.sync(),
          { warmup: Math.max(warmup, 1), repeats },
        );
        if (name === 'chainrule') crMs = t.median;
        const gflops = (2 * n ** 3) / (t.median * 1e6);
        addRow({ ...base, 'median ms': t.median, 'GFLOP/s': gflops, 'vs chainrule': t.median / crMs });
        series.set(name, [...(series.get(name) ?? []), [n, gflops]]);
        drawChart(series);
      } catch (e) {
        if (name === 'chainrule') throw e;
        addRow({ ...base, note: `failed: ${peerError(name, `matmul ${n}`, e)}` });
      } finally {
        runner?.dispose();
      }
    }
  }
}

/** chainrule through common.ts's time() (which awaits cr.sync()), a peer with its own wait. */
function measure(name: string, run: () => void, sync: () => Promise<void>, counts: { warmup: number; repeats: number }) {
  return name === libraries.chainrule.name ? time(run, counts) : timeWith(run, sync, counts);
}

/** A network's final losses side by side and their largest relative gap from chainrule's, as a line of #loss-check. */
function showLossCheck(title: string, losses: { name: string; loss: number }[]): void {
  const el = document.createElement('p');
  document.getElementById('loss-check')!.append(el);
  if (losses.length < 2) {
    el.textContent = `${title}: no peer ran the step: no loss to compare chainrule's (${losses[0]?.loss.toFixed(6)}) with.`;
    el.className = 'notice';
    return;
  }
  const ref = losses.find((l) => l.name === 'chainrule')!.loss;
  const gap = Math.max(0, ...losses.map((l) => Math.abs(l.loss - ref) / Math.abs(ref)));
  const list = losses.map((l) => `${l.name} ${l.loss.toFixed(6)}`).join(', ');
  const ok = losses.every((l) => Number.isFinite(l.loss)) && gap <= LOSS_TOLERANCE;
  el.textContent =
    `Correctness cross-check, ${title}: the loss after ${steps} SGD steps from the same weights: ${list}. ` +
    `Largest relative gap from chainrule: ${gap.toExponential(1)} (${ok ? 'within' : 'OUTSIDE'} ${LOSS_TOLERANCE}).`;
  if (!ok) el.className = 'notice';
}

const KERNEL_COLUMNS = ['kernel', 'dispatches/step', 'workgroups/step', 'ms/step', 'share'];

/**
 * One library's kernels in one workload, slowest first, under the workload's heading in #kernels;
 * kept in window.__bench.kernels, and as Markdown in window.__bench.tables (npm run bench prints them).
 */
function showKernels(entry: KernelEntry): void {
  const s = state as PeersState;
  (s.kernels ??= []).push(entry);
  const title = `${entry.workload} ${entry.size}`;
  const details =
    `${entry.kernelMs.toFixed(2)} ms in kernels per step, ${format(entry.dispatches)} dispatches ` +
    `(profiled step ${entry.stepMs.toFixed(1)} ms wall, ${entry.steps} steps; ${entry.method})`;
  const summary = `${entry.library}: ${details}`;
  const kernelRows: Row[] = entry.kernels.map((k) => ({
    kernel: k.kernel,
    'dispatches/step': k.dispatches,
    'workgroups/step': k.workgroups,
    'ms/step': k.ms,
    share: `${(100 * k.share).toFixed(1)}%`,
  }));
  const markdownRows = kernelRows.map((r) => ({ ...r, kernel: String(r.kernel).replaceAll('|', '\\|') }));
  (s.tables ??= {})[`Kernels: ${title}, ${entry.library}`] = `${summary}\n\n${toMarkdown(markdownRows, KERNEL_COLUMNS)}`;

  const box = document.getElementById('kernels');
  if (!box) return;
  let section = Array.from(box.querySelectorAll('section')).find((e) => e.dataset.workload === title);
  if (!section) {
    section = document.createElement('section');
    section.dataset.workload = title;
    const h = document.createElement('h3');
    h.textContent = title;
    section.append(h);
    box.append(section);
  }
  const caption = document.createElement('p');
  caption.append(Object.assign(document.createElement('strong'), { textContent: entry.library }), `: ${details}`);
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const c of KERNEL_COLUMNS) head.insertCell().outerHTML = `<th>${c}</th>`;
  const body = table.createTBody();
  for (const r of kernelRows) {
    const tr = body.insertRow();
    for (const c of KERNEL_COLUMNS) tr.insertCell().textContent = typeof r[c] === 'number' ? format(r[c]) : String(r[c]);
  }
  section.append(caption, table);
}

function drawChart(series: Map<string, [number, number][]>): void {
  const canvas = document.getElementById('chart') as HTMLCanvasElement | null;
  if (!canvas) return;
  logChart(
    canvas,
    [...series].map(([name, points]) => ({ name, color: COLORS[name] ?? '#555', points })),
    { x: 'matrix size n', y: 'GFLOP/s' },
  );
}

/** Values uniform in [-1, 1), from a seed: the same matrices for every library. */
function uniformMatrix(n: number, seed: number): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: n * n }, () => 2 * u() - 1);
}

main()
  .catch(fail)
  .finally(() => {
    done();
    // Release chainrule's device; the peers' arrays were disposed after each workload.
    if (state.status === 'done') cr.dispose();
  });
