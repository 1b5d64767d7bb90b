/** fit() and evaluate(): the training loop with progress reports, and accuracy on a data set. */
import { noGrad } from '../grad-mode.ts';
import { fail, NumericsError } from '../errors.ts';
import { Batches } from '../data/batches.ts';
import { Optimizer } from '../optim/optimizer.ts';
import type { LrSchedule } from '../optim/schedule.ts';
import { accuracy } from '../ops/index.ts';
import { fromValues, Tensor } from '../tensor.ts';
import { RunningMean } from './metrics.ts';
import { Module } from './module.ts';

/** What fit() reports every `reportEvery` steps and at the end of each epoch. */
export interface Progress {
  readonly epoch: number; // from 1
  readonly epochs: number;
  readonly step: number; // in the epoch, from 1
  readonly stepsPerEpoch: number;
  /** Mean training loss and accuracy over the steps since the last report. */
  readonly loss: number;
  readonly accuracy: number;
  readonly stepsPerSecond: number;
  /** Seconds since fit() started, and an estimate of the seconds left. */
  readonly elapsed: number;
  readonly eta: number;
}

export interface FitOptions {
  epochs: number;
  /** The loss of a batch: default softmax cross-entropy. */
  loss?: (scores: Tensor, labels: Tensor) => Tensor;
  /** Steps between progress reports (each one reads two numbers back); the last step reports too. Default 50. */
  reportEvery?: number;
  onProgress?: (p: Progress) => void | Promise<void>;
  /** After each epoch, with its number and seconds (e.g. to evaluate on a test set). */
  onEpoch?: (epoch: number, seconds: number) => void | Promise<void>;
  /** A learning-rate schedule: sets optimizer.lr before each step (cr.optim.cosineLr, stepLr, or any function of the step). */
  lr?: LrSchedule;
  /** Stops at the next step when aborted (a Stop button). */
  signal?: AbortSignal;
}

export interface FitResult {
  readonly steps: number;
  readonly seconds: number;
  readonly epochSeconds: readonly number[];
  /** The last report's mean loss and accuracy. */
  readonly loss: number;
  readonly accuracy: number;
  /** True if a Stop (the signal) ended training before every step ran. */
  readonly stopped: boolean;
}

/**
 * Minibatch training: for each batch, forward, loss, backward and an optimizer step, all in one
 * plan. Loss and accuracy accumulate on the device; numbers come back only at reports, so between
 * them the GPU runs without waiting for JavaScript.
 */
export async function fit(model: Module, optimizer: Optimizer<unknown>, data: Batches, options: FitOptions): Promise<FitResult> {
  if (!(model instanceof Module)) fail('fit', `model must be a cr.nn Module (e.g. new cr.nn.MLP([...])), got ${describe(model)}`);
  if (!(optimizer instanceof Optimizer)) fail('fit', `optimizer must be a cr.optim optimizer (SGD, Adam), got ${describe(optimizer)}`);
  if (!(data instanceof Batches)) fail('fit', `data must come from cr.data.batches(x, y, { batchSize }), got ${describe(data)}`);
  if (typeof options !== 'object' || options === null) fail('fit', `options must be an object such as { epochs: 10 }, got ${describe(options)}`);
  const { epochs, reportEvery = 50, signal } = options;
  if (!Number.isInteger(epochs) || epochs < 1) fail('fit', `epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(reportEvery) || reportEvery < 1) fail('fit', `reportEvery must be a positive integer, got ${reportEvery}`);
  if (options.lr !== undefined && typeof options.lr !== 'function')
    fail('fit', `lr must be a schedule, a function of (step, totalSteps) such as cr.optim.cosineLr(0.003), got ${describe(options.lr)}`);
  const lossOf = options.loss ?? ((s: Tensor, y: Tensor) => s.softmaxCrossEntropy(y));
  const meanLoss = new RunningMean();
  const meanAccuracy = new RunningMean();
  const start = performance.now();
  const total = epochs * data.length;
  const epochSeconds: number[] = [];
  let steps = 0,
    loss = NaN,
    acc = NaN,
    lastReport = start,
    lastSteps = 0;
  const report = async (epoch: number, step: number) => {
    [loss, acc] = [await meanLoss.readAndReset(), await meanAccuracy.readAndReset()];
    if (!Number.isFinite(loss)) {
      throw new NumericsError(
        `fit: the training loss is ${loss} at epoch ${epoch}, step ${step}: training diverged; lower the learning rate (now ${optimizer.lr}), ` +
          'or find the first op that makes a NaN with cr.init({ checkNumerics: true })',
      );
    }
    const now = performance.now();
    const stepsPerSecond = ((steps - lastSteps) * 1000) / Math.max(now - lastReport, 1e-3);
    [lastReport, lastSteps] = [now, steps];
    const elapsed = (now - start) / 1000;
    const eta = (total - steps) / Math.max(steps / elapsed, 1e-9);
    await options.onProgress?.({ epoch, epochs, step, stepsPerEpoch: data.length, loss, accuracy: acc, stepsPerSecond, elapsed, eta });
    await nextTask(); // on the CPU nothing else waits: let a page draw and take a Stop click
  };
  for (let epoch = 1; epoch <= epochs && !signal?.aborted; epoch++) {
    const epochStart = performance.now();
    for (const { x, y, index } of data) {
      if (signal?.aborted) break;
      if (options.lr) {
        const lr = options.lr(steps, total);
        if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0)
          fail('fit', `the lr schedule gave ${lr} at step ${steps}; a learning rate is a finite number >= 0`);
        optimizer.lr = lr;
      }
      const scores = model.forward(x);
      const batchLoss = lossOf(scores, y);
      optimizer.zeroGrad();
      batchLoss.backward();
      // Metrics before the step: after it, scores (freed once used) could only be recomputed from
      // the new weights, which the executor refuses. All of it still shares one submit.
      meanLoss.add(batchLoss);
      meanAccuracy.add(noGrad(() => accuracy(scores, y)));
      optimizer.step();
      steps++;
      if (steps % reportEvery === 0 || steps === total) await report(epoch, index + 1);
    }
    epochSeconds.push((performance.now() - epochStart) / 1000);
    if (!signal?.aborted) await options.onEpoch?.(epoch, epochSeconds[epoch - 1]);
  }
  return { steps, seconds: (performance.now() - start) / 1000, epochSeconds, loss, accuracy: acc, stopped: steps < total };
}

/** Resolves in a new task (a MessageChannel message: unlike setTimeout, not throttled in background tabs). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Accuracy of a model on a whole data set, in chunks of `batchSize` rows; one readback. */
export async function evaluate(model: Module, x: Tensor, y: Tensor, batchSize = 2048): Promise<number> {
  if (!(model instanceof Module)) fail('evaluate', `model must be a cr.nn Module, got ${describe(model)}`);
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) fail('evaluate', `x and y must be Tensors, got ${describe(x)} and ${describe(y)}`);
  if (x.ndim < 1 || y.ndim !== 1 || x.shape[0] !== y.shape[0]) {
    fail('evaluate', `x ${x.shapeString} and y ${y.shapeString} must have the same number of rows (y: one int32 label per row)`);
  }
  if (y.dtype !== 'int32') fail('evaluate', `y must be int32 labels, got ${y.dtype}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('evaluate', `batchSize must be a positive integer, got ${batchSize}`);
  const n = x.shape[0];
  const rowsInOrder = fromValues(
    Int32Array.from({ length: n }, (_, i) => i),
    [n],
  );
  const mean = new RunningMean();
  noGrad(() => {
    for (let offset = 0; offset < n; offset += batchSize) {
      const rows = Math.min(batchSize, n - offset);
      const window = { offset, rows };
      mean.add(accuracy(model.forward(x.gather(rowsInOrder, window)), y.gather(rowsInOrder, window)), rows);
    }
  });
  return mean.read();
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}
