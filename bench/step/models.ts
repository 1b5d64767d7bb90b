// The three models of the training-step page and one measurement: a full SGD step (forward,
// softmaxCrossEntropy, zeroGrad, backward, optimizer step) on fixed data already on the device.
import * as cr from 'chainrule';
import { time } from '../pages/common.ts';

export interface ModelSpec {
  /** Short id (series and ?models=). */
  id: string;
  name: string;
  sizes: readonly number[];
  /** Largest batch the CPU reference runs by default (?cpuall=1 lifts it). */
  cpuMaxBatch?: number;
}

export const MODELS: readonly ModelSpec[] = [
  { id: 'spiral', name: 'spiral 2-100-3', sizes: [2, 100, 3] },
  { id: 'mnist', name: 'mnist 784-256-10', sizes: [784, 256, 10] },
  { id: 'deep', name: 'deep 784-1024-512-256-10', sizes: [784, 1024, 512, 256, 10], cpuMaxBatch: 256 },
];

export const LR = 0.01;

export interface StepResult {
  /** Median and fastest step, ms. */
  median: number;
  min: number;
  /** cr.stats() deltas over the timed steps, divided by their number. */
  dispatches: number;
  submits: number;
  readbacks: number;
  bytesRead: number;
  bytesUploaded: number;
  /** The loss of the last step (read back after the counters were taken). */
  loss: number;
  /** Where the step's time goes (cr.profile), when asked for. */
  profile?: cr.Profile;
}

/**
 * Builds the model, optimizer and data on the current device (call after use(device)), runs the
 * warm-up steps, resets the counters, times the steps and returns the per-step figures.
 */
export async function measureStep(
  spec: ModelSpec,
  batch: number,
  { warmup, repeats }: { warmup: number; repeats: number },
  profile = false,
): Promise<StepResult> {
  const inputs = spec.sizes[0];
  const classes = spec.sizes[spec.sizes.length - 1];
  const model = new cr.nn.MLP(spec.sizes, { seed: 0 });
  const params = model.parameters();
  const opt = new cr.optim.SGD(params, { lr: LR });
  const x = cr.randn([batch, inputs], { seed: 1 });
  const y = cr.tensor(Int32Array.from({ length: batch }, (_, i) => i % classes));
  cr.realize([x, y, ...params]); // the data and parameters on the device before anything is timed
  await cr.sync();

  let loss: cr.Tensor | null = null;
  const step = () => {
    loss = cr.softmaxCrossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };

  await time(step, { warmup, repeats: 0 }); // untimed: pipelines, plans, bind groups, optimizer state
  cr.resetStats();
  const { median, min } = await time(step, { warmup: 0, repeats });
  const s = cr.stats();
  const last = loss === null ? NaN : await (loss as cr.Tensor).item(); // after the counters: not part of a step
  return {
    ...(profile ? { profile: await cr.profile(step, { steps: 3, warmup: 0 }) } : {}),
    median,
    min,
    dispatches: s.dispatches / repeats,
    submits: s.submits / repeats,
    readbacks: s.readbacks / repeats,
    bytesRead: s.bytesRead / repeats,
    bytesUploaded: s.bytesUploaded / repeats,
    loss: last,
  };
}
