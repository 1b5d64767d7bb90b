// The training page's wiring: form -> device -> data and model -> fit, with the results drawn live.
import * as cr from 'chainrule';
import { drawChart } from './chart.ts';
import { describe, hasWebGpu, useDevice, type DeviceChoice } from './device.ts';
import { digitPad, digitPixels } from './draw-digit.ts';
import { graphPanel } from './graph-panel.ts';
import { catchStrayErrors, clearError, showError, showNotice } from './messages.ts';
import { probabilityBars } from './probabilities.ts';
import { drawPointsOnly, drawRegions, type Points } from './regions.ts';
import { applyDefaults, lockSettings, readSettings, type Dataset, type Settings } from './settings.ts';
import { state } from './state.ts';
import { prepare, train, type Prepared } from './trainer.ts';

catchStrayErrors();

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const field = (name: string) => $<HTMLFormElement>('#settings').elements.namedItem(name) as HTMLSelectElement;

// The model of the last run, on the current device (null while a run is being prepared).
let trained: { model: cr.nn.Module; dataset: Dataset; points: Points | null } | null = null;
let controller: AbortController | null = null;
let digitChanged = false; // a stroke drawn while training waits for the next report to be classified
let lastProgress: cr.nn.Progress | null = null;

const pad = $<HTMLCanvasElement>('#pad');
const { clear: clearPad } = digitPad(pad, () => {
  if (state.phase === 'training' || state.phase === 'loading') digitChanged = true;
  else classifyDigit().catch(showError);
});
const showProbabilities = probabilityBars($('#bars'));
const graphView = graphPanel($('#graph'), $('#node-detail'));
// A small fixed batch whose loss the Graph panel draws at each report (made once per run).
let graphBatch: { x: cr.Tensor; y: cr.Tensor } | null = null;
// The last refresh: when it ended, how long it took, its step; and which run it belongs to.
const graphClock = { at: 0, cost: 0, step: -1, run: 0 };
let graphVisible = false;
new IntersectionObserver((entries) => {
  graphVisible = entries.some((e) => e.isIntersecting);
  // Scrolled into view between runs: draw the graph of the model as it is now.
  if (graphVisible && controller === null) refreshGraph(state.steps, true).catch(showError);
}).observe($('#graph-panel'));

function showDevice(choice: DeviceChoice): void {
  state.device = choice.info.device;
  state.adapter = choice.info.description;
  state.fallbackReason = choice.fallbackReason;
  $('#adapter').textContent = describe(choice);
  $('#adapter').dataset.device = choice.info.device;
  showNotice(choice.fallbackReason && `WebGPU is not available, so training runs on the CPU reference. Reason: ${choice.fallbackReason}`);
}

/** The spiral panel or the MNIST panel, following the dataset in the form. */
function showDatasetPanel(): void {
  const dataset = field('dataset').value as Dataset;
  $('#spiral-panel').hidden = dataset !== 'spiral';
  $('#mnist-panel').hidden = dataset !== 'mnist';
  document.querySelectorAll<HTMLElement>('.mnist-only').forEach((el) => (el.hidden = dataset !== 'mnist'));
}

function renderChart(): void {
  drawChart(
    $<HTMLCanvasElement>('#chart'),
    [
      { title: 'Loss', series: [{ name: 'training', color: '#2563eb', points: state.reports.map((r) => [r.step, r.loss]) }] },
      {
        title: 'Accuracy',
        y: [0, 1],
        series: [
          { name: 'training', color: '#16a34a', points: state.reports.map((r) => [r.step, r.accuracy]) },
          ...(state.dataset === 'mnist'
            ? [{ name: 'test', color: '#dc2626', dots: true, points: state.testAccuracy.map((t): [number, number] => [t.step, t.accuracy]) }]
            : []),
        ],
      },
    ],
    state.totalSteps,
  );
}

function renderStatus(): void {
  const text: Record<typeof state.phase, string> = {
    starting: 'Starting…',
    idle: 'Ready: choose the settings and press Train.',
    loading: state.dataset === 'mnist' ? 'Loading MNIST and building the model…' : 'Building the model…',
    training: 'Training…',
    stopped: `Stopped after ${state.steps} steps.`,
    done: `Done: ${state.steps} steps.`,
    error: 'Failed: see the error above.',
  };
  const stopping = controller?.signal.aborted && (state.phase === 'loading' || state.phase === 'training');
  $('#phase').textContent = stopping ? 'Stopping…' : text[state.phase];
  $('#phase').dataset.phase = state.phase;
  const p = lastProgress;
  const last = state.testAccuracy.at(-1);
  $('#stats').textContent = p
    ? [
        `epoch ${p.epoch}/${p.epochs}`,
        `step ${state.steps}/${state.totalSteps}`,
        `loss ${p.loss.toFixed(4)}`,
        `training accuracy ${(100 * p.accuracy).toFixed(1)}%`,
        `${p.stepsPerSecond.toFixed(1)} steps/s`,
        `${p.elapsed.toFixed(1)} s elapsed` + (state.phase === 'training' ? `, ~${p.eta.toFixed(0)} s left` : ''),
      ].join(' · ')
    : '';
  $('#test-accuracy').textContent = last ? `Test accuracy after epoch ${last.epoch}: ${(100 * last.accuracy).toFixed(2)}%` : '';
  $<HTMLButtonElement>('#train').disabled = controller !== null;
  $<HTMLButtonElement>('#stop').disabled = controller === null;
}

async function classifyDigit(): Promise<void> {
  digitChanged = false;
  const pixels = digitPixels(pad);
  const note = $('#prediction');
  if (!pixels || trained?.dataset !== 'mnist') {
    state.probabilities = null;
    showProbabilities(null);
    note.textContent = !pixels ? 'Draw a digit.' : 'Train on MNIST first, then draw a digit.';
    return;
  }
  const model = trained.model;
  const probs = await cr.noGrad(() => model.forward(cr.tensor(pixels, [1, 784])).softmax()).data();
  state.probabilities = Array.from(probs);
  showProbabilities(probs);
  note.textContent = `The model says: ${state.probabilities.indexOf(Math.max(...state.probabilities))}`;
}

/** A fixed batch for the Graph panel: every 10th spiral point, or the first 16 test digits. */
async function makeGraphBatch(prepared: Prepared): Promise<{ x: cr.Tensor; y: cr.Tensor } | null> {
  if (prepared.points) {
    const { x, y } = prepared.points;
    const rows = Array.from({ length: Math.floor(y.length / 10) }, (_, i) => i * 10);
    return {
      x: cr.tensor(
        rows.flatMap((r) => [x[2 * r], x[2 * r + 1]]),
        [rows.length, 2],
      ),
      y: cr.tensor(
        rows.map((r) => y[r]),
        { dtype: 'int32' },
      ),
    };
  }
  if (!prepared.test) return null;
  const { x, y } = prepared.test;
  const index = cr.tensor([...Array(16).keys()], { dtype: 'int32' });
  // Copied out, so the graph starts at these 16 rows rather than at a gather from the whole test set.
  const [xs, ys] = await Promise.all([cr.noGrad(() => x.gather(index)).data(), cr.noGrad(() => y.gather(index)).data()]);
  return { x: cr.tensor(xs, [16, x.shape[1]]), y: cr.tensor(Array.from(ys), { dtype: 'int32' }) };
}

/**
 * The Graph panel: the model's loss on the fixed batch at the current weights, its gradients
 * computed by cr.graph itself (no backward, nothing accumulates in .grad), between two steps.
 * Only while the panel is on screen: its first graph compiles kernels (seconds on a software
 * adapter), and a run nobody watches the graph of should not pay for it. After that a report skips
 * it until four times its last cost (at most 1 s) has passed, so it takes at most ~20% of a run.
 */
async function refreshGraph(step: number, force = false): Promise<void> {
  if (!graphVisible || !trained || !graphBatch || step === graphClock.step) return;
  if (!force && performance.now() - graphClock.at < Math.min(1000, 4 * graphClock.cost)) return;
  const [run, started] = [graphClock.run, performance.now()];
  graphClock.step = step;
  const loss = cr.softmaxCrossEntropy(trained.model.forward(graphBatch.x), graphBatch.y);
  const graph = await cr.graph(loss, { values: true });
  if (run !== graphClock.run) return; // a new run started meanwhile
  graphView.update(graph, step);
  graphClock.at = performance.now();
  graphClock.cost = graphClock.at - started;
}

async function redrawRegions(): Promise<void> {
  if (trained?.dataset !== 'spiral' || !trained.points) return;
  await drawRegions($<HTMLCanvasElement>('#regions'), trained.model, trained.points);
  state.regionsDrawn++;
}

/** Resolves when the signal aborts, so Stop also ends a run that is still loading data. */
const aborted = (signal: AbortSignal) => new Promise<'aborted'>((done) => signal.addEventListener('abort', () => done('aborted')));

async function run(): Promise<void> {
  clearError();
  let settings: Settings;
  try {
    settings = readSettings();
  } catch (e) {
    showError(e);
    return;
  }
  const { signal } = (controller = new AbortController());
  let outcome: 'done' | 'stopped' = 'stopped';
  Object.assign(state, { phase: 'loading', dataset: settings.dataset, steps: 0, totalSteps: 0, reports: [], testAccuracy: [], regionsDrawn: 0 });
  trained = null;
  graphBatch = null;
  Object.assign(graphClock, { at: 0, cost: 0, step: -1, run: graphClock.run + 1 });
  graphView.clear();
  lastProgress = null;
  lockSettings(true);
  renderChart();
  renderStatus();
  try {
    showDevice(await useDevice(settings.device));
    const prepared = await Promise.race([prepare(settings), aborted(signal)]);
    if (prepared === 'aborted') return;
    trained = { model: prepared.model, dataset: settings.dataset, points: prepared.points };
    if (prepared.points) drawPointsOnly($<HTMLCanvasElement>('#regions'), prepared.points);
    graphBatch = await makeGraphBatch(prepared);
    state.totalSteps = prepared.totalSteps;
    state.phase = 'training';
    renderStatus();
    let reports = 0;
    const result = await train(prepared, settings, {
      signal,
      progress: async (p, step) => {
        lastProgress = p;
        state.steps = step;
        state.reports.push({ step, loss: p.loss, accuracy: p.accuracy });
        renderChart();
        renderStatus();
        // Between steps the model can be evaluated: refresh the regions now and then, and a new digit.
        if (++reports % 10 === 0) await redrawRegions();
        await refreshGraph(step);
        if (digitChanged) await classifyDigit();
      },
      testAccuracy: (epoch, step, accuracy) => {
        state.testAccuracy.push({ epoch, step, accuracy });
        renderChart();
        renderStatus();
      },
    });
    state.steps = result.steps;
    await redrawRegions();
    await refreshGraph(result.steps, true);
    await classifyDigit();
    outcome = result.stopped ? 'stopped' : 'done';
  } catch (e) {
    showError(e);
  } finally {
    // The phase changes last, once everything is drawn: the test waits for it.
    controller = null;
    lockSettings(false);
    if (state.phase !== 'error') state.phase = outcome;
    renderStatus();
  }
}

function stop(): void {
  controller?.abort();
  renderStatus();
}

async function start(): Promise<void> {
  if (!hasWebGpu()) {
    // Say it up front (and make the choice impossible) rather than failing at Train.
    $<HTMLOptionElement>('#device-webgpu').disabled = true;
    field('device').value = 'cpu';
  }
  applyDefaults('dataset');
  showDatasetPanel();
  renderChart();
  showDevice(await useDevice(field('device').value as Settings['device']));
  if (!hasWebGpu())
    showNotice('This browser has no WebGPU (navigator.gpu is missing; it needs a secure context and a recent browser), so training runs on the CPU.');
  state.phase = 'idle';
  renderStatus();
  const spiral = cr.data.spiral({ classes: 3, points: 100, seed: 0 });
  drawPointsOnly($<HTMLCanvasElement>('#regions'), { x: (await spiral.x.data()) as Float32Array, y: (await spiral.y.data()) as Int32Array });
}

field('dataset').addEventListener('change', () => {
  applyDefaults('dataset');
  showDatasetPanel();
  if (state.phase !== 'training' && state.phase !== 'loading') state.dataset = field('dataset').value as Dataset;
});
field('optimizer').addEventListener('change', () => applyDefaults('optimizer'));
field('model').addEventListener('change', () => applyDefaults('model'));
$('#train').addEventListener('click', () => void run());
$('#stop').addEventListener('click', stop);
$('#clear').addEventListener('click', () => {
  clearPad();
  classifyDigit().catch(showError);
});
window.addEventListener('resize', renderChart);
start().catch(showError);
