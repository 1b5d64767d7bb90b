// The op benchmark page: every op of cr.registry (forward and each VJP) and every fused optimizer
// update of cr.updates, on WebGPU and on the CPU reference, across sizes; a table (ms, speedup,
// GB/s or GFLOP/s) and, for the op chosen in the selector, time against size (log-log).
//
//   ?quick=1          elements 1e3 and 1e5, matmul 64 and 256, 3 timed runs (a smoke run)
//   ?sizes=1000,1e5   element counts (matmul: n the nearest power of two to √size, unless ?matmul=)
//   ?matmul=64,512    matmul n          ?repeats=20&warmup=3   timed and warm-up runs
//   ?ops=add,matmul   a subset          ?cpuall=1              the CPU reference at every size
import * as cr from 'chainrule';
import { done, fail, logChart, options, progress, showResults, start, use, type ChartSeries, type Row } from '../pages/common.ts';
import { benches, caseAt, describeShapes, fits, workOf, type Bench, type KernelInfo, type Sized, type Work } from './cases.ts';
import { MIN_SAMPLE_MS, prepare, timeKernel } from './measure.ts';

const ELEMENTS = [1e3, 1e4, 1e5, 1e6, 1e7];
const QUICK_ELEMENTS = [1e3, 1e5];
const MATMUL = [64, 128, 256, 512, 1024, 2048];
const QUICK_MATMUL = [64, 256];
/** The CPU reference is slow at the top sizes (matmul 1024 would take seconds a run): it stops here by default. */
const CPU_MAX = { elements: 1e6, n: 512 };
const DEVICES = ['webgpu', 'cpu'] as const; // WebGPU first: start() has it ready
const COLUMNS = ['op', 'kernel', 'size', 'shapes', 'cpu ms', 'gpu ms', 'speedup', 'cpu rate', 'gpu rate', 'unit'];
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];
const NOT_RUN = '—';

interface Entry {
  readonly bench: Bench;
  readonly kernel: KernelInfo;
  readonly c: Sized;
  readonly work: Work;
  readonly row: Row;
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const quick = q.get('quick') === '1';
  const opts = options({ repeats: quick ? 3 : 10, warmup: quick ? 1 : 2 });
  const list = (name: string) => {
    const v = q.get(name)?.split(',').map(Number);
    if (v && !v.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`?${name} must be positive whole numbers, got ${q.get(name)}`);
    return v;
  };
  const elements = opts.sizes ?? (quick ? QUICK_ELEMENTS : ELEMENTS);
  const matmul = list('matmul') ?? (opts.sizes ? [...new Set(opts.sizes.map((s) => 2 ** Math.round(Math.log2(Math.sqrt(s)))))] : quick ? QUICK_MATMUL : MATMUL);
  const cpuAll = q.get('cpuall') === '1';

  const all = benches(cr.registry, cr.updates);
  const wanted = q.get('ops')?.split(',');
  const chosen = wanted ? all.filter((b) => wanted.includes(b.name)) : all;
  if (wanted && chosen.length !== wanted.length)
    throw new Error(`?ops must be names from cr.registry or cr.updates (${all.map((b) => b.name).join(', ')}), got ${q.get('ops')}`);

  const methodology =
    `Per op: the forward (apply + realize) and the VJP for each differentiable input (vjpOf + realize, y and dy computed first); per update: one fused step. ` +
    `Inputs are uploaded to the device before timing. ${opts.warmup} warm-up run${opts.warmup === 1 ? '' : 's'} (not timed), then the median of ${opts.repeats} samples, ` +
    `each timed until the device is done (await cr.sync()); on the CPU a fast op runs back to back within a sample of at least ${MIN_SAMPLE_MS} ms (divided out). ` +
    `Sizes: the op's test case of highest rank, leading dimension scaled so the largest input has about n elements; matmul n x n. ` +
    `Rates: GB/s = bytes of the tensors the kernel binds / time; matmul GFLOP/s = 2·M·N·K / time. ` +
    `CPU reference ${cpuAll ? 'at every size' : `up to ${CPU_MAX.elements.toLocaleString('en-US')} elements and matmul n = ${CPU_MAX.n}`}.`;
  const env = await start('ops', methodology);

  // Every (op, kernel, size) row, in table order, made up front (times filled in as they come).
  const sizesOf = (b: Bench): Sized[] => (b.kind === 'op' && b.fixed ? [caseAt(b, 0)] : (b.axis === 'n' ? matmul : elements).map((n) => caseAt(b, n)));
  const cases = new Map(chosen.map((b) => [b, sizesOf(b)]));
  const entries: Entry[] = chosen.flatMap((bench) =>
    bench.kernels.flatMap((kernel) =>
      cases.get(bench)!.map((c): Entry => {
        const work = workOf(bench, c, kernel);
        const row: Row = {
          op: bench.name,
          kernel: kernel.label,
          size: c.size,
          shapes: describeShapes(c.shapes),
          'cpu ms': '',
          'gpu ms': '',
          speedup: '',
          'cpu rate': '',
          'gpu rate': '',
          unit: work.flops ? 'GFLOP/s' : 'GB/s',
        };
        return { bench, kernel, c, work, row };
      }),
    ),
  );
  const rows = entries.map((e) => e.row);
  const entry = (b: Bench, k: KernelInfo, c: Sized) => entries.find((e) => e.bench === b && e.kernel === k && e.c === c)!;

  const cpuRuns = (b: Bench, c: Sized) => cpuAll || (b.kind === 'op' && b.fixed) || c.nominal <= CPU_MAX[b.axis];
  const maxBinding = cr.deviceInfo().limits.maxStorageBufferBindingSize;
  const gpuSkipped = chosen.flatMap((b) =>
    cases
      .get(b)!
      .filter((c) => !fits(c, maxBinding))
      .map((c) => `${b.name} at ${c.size}`),
  );
  const note = document.getElementById('cpu-cap');
  if (note) {
    note.textContent =
      (cpuAll
        ? 'The CPU reference runs every size.'
        : `The CPU reference runs up to ${CPU_MAX.elements.toLocaleString('en-US')} elements and matmul n = ${CPU_MAX.n} (?cpuall=1 runs every size); ${NOT_RUN} marks a size not run.`) +
      (gpuSkipped.length ? ` Over this adapter's largest storage binding (${maxBinding} bytes), not run on WebGPU: ${gpuSkipped.join(', ')}.` : '');
  }

  const chart = setupChart(chosen, entries, env.software);
  showResults(rows, COLUMNS);

  const total = DEVICES.reduce(
    (s, d) => s + chosen.reduce((t, b) => t + cases.get(b)!.filter((c) => (d === 'cpu' ? cpuRuns(b, c) : fits(c, maxBinding))).length, 0),
    0,
  );
  let step = 0;
  for (const device of DEVICES) {
    await use(device);
    for (const [i, bench] of chosen.entries()) {
      for (const [j, c] of cases.get(bench)!.entries()) {
        if (device === 'cpu' ? !cpuRuns(bench, c) : !fits(c, maxBinding)) continue;
        progress(
          `${++step}/${total}: ${device === 'webgpu' ? 'WebGPU' : 'CPU reference'}, ${bench.name} at ${bench.axis === 'n' ? `n = ${c.size}` : `${c.size} elements`}`,
        );
        await new Promise((r) => setTimeout(r, 0)); // let the progress line paint
        const prepared = prepare(bench, c, 1000 * i + j); // the same values on both devices
        try {
          for (const kernel of bench.kernels) {
            const t = await timeKernel(prepared.runs.get(kernel.label)!, device, opts);
            record(entry(bench, kernel, c), device, t.median);
          }
        } finally {
          prepared.dispose();
        }
      }
      showResults(rows, COLUMNS);
      chart.update(bench);
    }
  }
  for (const r of rows) for (const col of ['cpu ms', 'gpu ms', 'speedup', 'cpu rate', 'gpu rate']) if (r[col] === '') r[col] = NOT_RUN;
  showResults(rows, COLUMNS);
  chart.update();
}

/** Fills the row's time, rate and (once both devices ran) speedup. */
function record({ row, work }: Entry, device: 'cpu' | 'webgpu', ms: number): void {
  const prefix = device === 'cpu' ? 'cpu' : 'gpu';
  row[`${prefix} ms`] = ms;
  row[`${prefix} rate`] = (work.flops ?? work.bytes) / (ms * 1e6); // per ms to per s, and giga
  if (typeof row['cpu ms'] === 'number' && typeof row['gpu ms'] === 'number') row.speedup = row['cpu ms'] / row['gpu ms'];
}

/**
 * One chart, the op chosen in the selector (or by clicking its row in the table): time against size
 * for each kernel, WebGPU solid and the CPU reference dashed.
 */
function setupChart(chosen: readonly Bench[], entries: readonly Entry[], software: boolean) {
  const canvas = document.getElementById('chart') as HTMLCanvasElement | null;
  const select = document.getElementById('op') as HTMLSelectElement | null;
  const caption = document.getElementById('chart-caption');
  if (select) {
    select.replaceChildren(...chosen.map((b) => new Option(b.kind === 'update' ? `${b.name} (optimizer update)` : b.name, b.name)));
    select.addEventListener('change', () => draw());
  }
  document.getElementById('results')?.addEventListener('click', (e) => {
    const name = (e.target as HTMLElement).closest('tbody tr')?.firstElementChild?.textContent;
    if (!select || !name || !chosen.some((b) => b.name === name)) return;
    select.value = name;
    draw();
    canvas?.scrollIntoView({ behavior: 'smooth', block: 'center' });
  });
  const selected = () => chosen.find((b) => b.name === select?.value) ?? chosen[0];
  const draw = () => {
    const bench = selected();
    if (!canvas || !bench) return;
    const series: ChartSeries[] = [];
    bench.kernels.forEach((kernel, k) => {
      for (const device of ['webgpu', 'cpu'] as const) {
        const points = entries
          .filter((e) => e.bench === bench && e.kernel === kernel && typeof e.row[`${device === 'cpu' ? 'cpu' : 'gpu'} ms`] === 'number')
          .map((e) => [e.c.size, e.row[`${device === 'cpu' ? 'cpu' : 'gpu'} ms`] as number] as const);
        const name = `${kernel.label}, ${device === 'webgpu' ? `WebGPU${software ? ' (software)' : ''}` : 'CPU reference'}`;
        if (points.length) series.push({ name, color: COLORS[k % COLORS.length], points, dashed: device === 'cpu' });
      }
    });
    logChart(canvas, series, { x: bench.axis === 'n' ? 'matmul n (n x n times n x n)' : 'elements (largest input)', y: 'ms (median)' });
    if (caption) caption.textContent = `${bench.name}: ${describeShapes(entries.find((e) => e.bench === bench)?.c.shapes ?? [])} at the smallest size.`;
  };
  draw();
  return {
    /** Redraws if `bench` (default: any) is the one shown. */
    update(bench?: Bench) {
      if (!bench || bench === selected()) draw();
    },
  };
}

main().then(done, (e) => {
  fail(e);
  done();
});
