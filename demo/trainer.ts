// One training run: the data, the model and the optimizer from the settings, then cr.nn.fit.
import * as cr from 'chainrule';
import { mnist } from './mnist-files.ts';
import type { Points } from './regions.ts';
import type { Settings } from './settings.ts';

export interface Prepared {
  model: cr.nn.Module;
  optimizer: cr.optim.Optimizer<unknown>;
  batches: cr.data.Batches;
  test: cr.data.Split | null;
  /** The spiral's points in JavaScript, to draw them; null for MNIST. */
  points: Points | null;
  totalSteps: number;
  /** L2 on the weights: the spiral (300 points, 100 hidden units) needs it for smooth regions. */
  reg: number;
}

export interface Hooks {
  signal: AbortSignal;
  /** At every report: a point between steps where the model may be evaluated (regions, a digit). */
  progress(p: cr.nn.Progress, step: number): Promise<void>;
  /** After each MNIST epoch, on the 10,000 test images. */
  testAccuracy(epoch: number, step: number, accuracy: number): void;
}

/** Makes the tensors on the current device: call after useDevice(), and again after a switch. */
export async function prepare(s: Settings): Promise<Prepared> {
  const classes = s.dataset === 'spiral' ? 3 : 10;
  let train: cr.data.Split,
    test: cr.data.Split | null = null,
    points: Points | null = null;
  if (s.dataset === 'spiral') {
    train = cr.data.spiral({ classes, points: 100, seed: 0 });
    points = { x: (await train.x.data()) as Float32Array, y: (await train.y.data()) as Int32Array };
  } else {
    ({ train, test } = await mnist(s.subset));
  }
  const model =
    s.model === 'cnn'
      ? cr.nn.cnn({ hidden: s.hidden[0] ?? 128, classes, seed: 0 }) // rows of 784 pixels become 1x28x28 images inside
      : new cr.nn.MLP([train.x.shape[1], ...s.hidden, classes], { seed: 0 });
  const params = model.parameters();
  const optimizer = s.optimizer === 'adam' ? new cr.optim.Adam(params, { lr: s.lr }) : new cr.optim.SGD(params, { lr: s.lr, momentum: 0.9 });
  const batches = cr.data.batches(train.x, train.y, { batchSize: Math.min(s.batch, train.x.shape[0]), seed: 0 });
  const reg = s.dataset === 'spiral' ? 1e-3 : 0;
  return { model, optimizer, batches, test, points, totalSteps: s.epochs * batches.length, reg };
}

/** Trains until done or until the signal aborts (checked before every step, so also mid-epoch). */
export function train(run: Prepared, s: Settings, hooks: Hooks): Promise<cr.nn.FitResult> {
  const { model, batches, test } = run;
  return cr.nn.fit(model, run.optimizer, batches, {
    epochs: s.epochs,
    lr: s.schedule === 'cosine' ? cr.optim.cosineLr(s.lr) : undefined,
    loss: (scores, y) => cr.nn.softmaxCrossEntropy(scores, y, { reg: run.reg, weights: model.weights() }),
    // Each report reads two numbers back and so waits for the GPU: about 100 per run keeps the
    // curves smooth without stalling it every step; it also bounds how long Stop takes to act.
    reportEvery: Math.max(1, Math.min(10, Math.round(run.totalSteps / 100))),
    signal: hooks.signal,
    onProgress: async (p) => {
      await hooks.progress(p, (p.epoch - 1) * p.stepsPerEpoch + p.step);
      await yieldToBrowser();
    },
    onEpoch: async (epoch) => {
      if (test) hooks.testAccuracy(epoch, epoch * batches.length, await cr.nn.evaluate(model, test.x, test.y));
    },
  });
}

/**
 * Lets the browser paint and handle clicks (Stop) before the next steps. On WebGPU the report's
 * readback already waits for the GPU, but the CPU device computes synchronously and would freeze
 * the page for the whole run. A message, unlike setTimeout, is not throttled in background tabs.
 */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}
