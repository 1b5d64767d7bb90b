// The training-step page: three MLPs, a range of batch sizes, WebGPU and the CPU reference; a
// table (ms/step, samples/s, device counters per step) and samples/s against batch size.
//
//   ?quick=1          batches 32 and 256, 3 timed steps (a smoke run, well under a minute)
//   ?sizes=64,512     batch sizes          ?repeats=20&warmup=3   timed and warm-up steps
//   ?cpuall=1         the CPU reference on every batch (by default it stops where noted on the page)
//   ?models=mnist,deep  a subset of spiral, mnist, deep
import type * as cr from 'chainrule';
import { done, fail, logChart, options, progress, showProfile, showResults, start, use, type ChartSeries, type Row } from '../pages/common.ts';
import { LR, measureStep, MODELS, type ModelSpec } from './models.ts';

const BATCHES = [32, 64, 128, 256, 512, 1024];
const QUICK_BATCHES = [32, 256];
const DEVICES: readonly cr.DeviceName[] = ['webgpu', 'cpu']; // WebGPU first: start() has it ready
const COLORS: Record<string, string> = { spiral: '#2563eb', mnist: '#16a34a', deep: '#dc2626' };
const COLUMNS = [
  'model',
  'device',
  'batch',
  'ms/step',
  'min ms',
  'samples/s',
  'dispatches/step',
  'submits/step',
  'readbacks/step',
  'bytes read/step',
  'bytes up/step',
  'loss',
];

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const quick = q.get('quick') === '1';
  const opts = options({ repeats: quick ? 3 : 10, warmup: 2 });
  const batches = opts.sizes ?? (opts.quick ? QUICK_BATCHES : BATCHES);
  const cpuAll = q.get('cpuall') === '1';
  const wanted = q.get('models')?.split(',');
  const models = wanted ? MODELS.filter((m) => wanted.includes(m.id)) : MODELS;
  if (wanted && models.length !== wanted.length) throw new Error(`?models must be some of ${MODELS.map((m) => m.id).join(', ')}, got ${q.get('models')}`);
  const cpuRuns = (m: ModelSpec, batch: number) => cpuAll || m.cpuMaxBatch === undefined || batch <= m.cpuMaxBatch;

  const methodology =
    `One step = forward, softmaxCrossEntropy, zeroGrad, backward, SGD (lr ${LR}) step. ` +
    `Model (He init, seed 0) and data (x ~ N(0, 1) seed 1, labels i mod classes) are made after switching the device and are on it before timing. ` +
    `${opts.warmup} warm-up steps (not timed), then the median of ${opts.repeats} steps, each timed until the device is done (await cr.sync()). ` +
    `Counters: cr.stats() over the timed steps (cr.resetStats() after the warm-up), per step.`;
  await start('step', methodology);

  const skipped = models.flatMap((m) => batches.filter((b) => !cpuRuns(m, b)).map((b) => `${m.name} at batch ${b}`));
  const note = document.getElementById('cpu-cap');
  if (note) {
    note.textContent = skipped.length
      ? `Not run on the CPU reference (slow; add ?cpuall=1 to run them): ${skipped.join(', ')}.`
      : 'The CPU reference ran every batch size.';
  }

  const rows: Row[] = [];
  const canvas = document.getElementById('chart') as HTMLCanvasElement | null;
  const draw = () => {
    if (!canvas) return;
    const series: ChartSeries[] = [];
    for (const m of models) {
      for (const device of DEVICES) {
        const points = rows.filter((r) => r.model === m.name && r.device === device).map((r) => [Number(r.batch), r['samples/s'] as number] as const);
        if (points.length)
          series.push({
            name: `${m.name}, ${device === 'webgpu' ? 'WebGPU' : 'CPU reference'}`,
            color: COLORS[m.id] ?? '#555',
            points,
            dashed: device === 'cpu',
          });
      }
    }
    logChart(canvas, series, { x: 'batch size', y: 'samples/s' });
  };

  const total = DEVICES.length * models.length * batches.length;
  let n = 0;
  for (const device of DEVICES) {
    await use(device);
    for (const m of models) {
      for (const batch of batches) {
        n++;
        if (device === 'cpu' && !cpuRuns(m, batch)) continue;
        progress(`${n}/${total}: ${m.name}, ${device}, batch ${batch}`);
        await new Promise((r) => setTimeout(r, 0)); // let the progress line paint
        // Each model is profiled once on WebGPU, at batch 128 (or the largest batch run below it).
        const profiled = device === 'webgpu' && batch === Math.max(...batches.filter((b) => b <= 128), batches[0]);
        const r = await measureStep(m, batch, opts, profiled);
        if (r.profile) showProfile(`${m.name}, batch ${batch}`, r.profile);
        rows.push({
          model: m.name,
          device,
          batch: String(batch), // a string: the table's number format keeps 3 significant digits (1024 would show as 1020)
          'ms/step': r.median,
          'min ms': r.min,
          'samples/s': (batch * 1000) / r.median,
          'dispatches/step': r.dispatches,
          'submits/step': r.submits,
          'readbacks/step': r.readbacks,
          'bytes read/step': r.bytesRead,
          'bytes up/step': r.bytesUploaded,
          loss: r.loss,
        });
        showResults(rows, COLUMNS);
        draw();
      }
    }
  }
}

main().then(done, (e) => {
  fail(e);
  done();
});
