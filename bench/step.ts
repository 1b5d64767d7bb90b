/**
 * One SGD training step of a 784-256-10 ReLU/softmax MLP at batch 128 on chainrule.
 *
 *   npm run bench:step                         # WebGPU (Dawn in Node): 3 warm-up steps, 20 timed
 *   npm run bench:cpu                          # the CPU reference
 *   npm run bench:step -- --steps 50 --batch 256
 *   npm run bench:step -- --check-numerics    # with the numerics guard on (its cost per step)
 *   npm run bench:step -- --no-fuse           # every node's own kernel (before fusion), for comparison
 *   npm run bench:step -- --sizes 2,100,3 --batch 300   # the spiral MLP
 *
 * A step = forward, softmaxCrossEntropy, backward and cr.optim.SGD's step, one plan and one submit
 * (fused: 9 kernels), timed until the device is done (cr.sync). Reports the bytes kernels bind per step.
 * The CPU run also splits fwd+bwd from the update.
 * Prints one Markdown table row and a final JSON line. Compare: bench/tfjs-cpu-step.ts.
 */
import { option, reportStep, stepsOption, WARMUP } from './report.ts';
import * as cr from '../src/node.ts';

const LR = 0.1;

async function main(): Promise<void> {
  const steps = stepsOption();
  const device = option('device', 'webgpu') as cr.DeviceName;
  const B = Number(option('batch', '128'));
  const [D, H, C] = option('sizes', '784,256,10').split(',').map(Number);
  const fuse = !process.argv.includes('--no-fuse');
  const info = await cr.init({ device, fuse, checkNumerics: process.argv.includes('--check-numerics') });

  // Fixed data and parameters (seeded): inputs ~ N(0, 1), labels uniform in [0, 10), He-initialised weights.
  const x = cr.randn([B, D], { seed: 1 }).realize();
  const labelValues = Int32Array.from(await cr.rand([B], { seed: 2 }).data(), (u) => Math.floor(u * C));
  const labels = cr.tensor(labelValues, [B], { dtype: 'int32' });
  const model = new cr.nn.MLP([D, H, C], { seed: 3 });
  const params = model.parameters();
  const opt = new cr.optim.SGD(params, { lr: LR });

  let loss!: cr.Tensor;
  const step = async (): Promise<[number, number]> => {
    const t0 = performance.now();
    loss = cr.softmaxCrossEntropy(model.forward(x), labels);
    opt.zeroGrad();
    loss.backward();
    if (device === 'cpu') cr.realize([loss, ...params.map((p) => p.grad!)]); // the CPU computes eagerly here: split the timing
    const t1 = performance.now();
    opt.step(); // forward, backward and update: one plan, one submit
    await cr.sync();
    const t2 = performance.now();
    return [t1 - t0, t2 - t1];
  };

  for (let s = 0; s < WARMUP; s++) await step();
  cr.resetStats();
  const fb: number[] = [],
    up: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [a, b] = await step();
    fb.push(a);
    up.push(b);
  }
  const counters = perStep(steps);
  const lastLoss = await loss.item(); // read back after timing (already realized)

  reportStep(`chainrule ${info.device}${fuse ? '' : ' (fuse: false)'}`, `${D}-${H}-${C}`, B, { fwdBwd: fb, update: up }, lastLoss, {
    adapter: info.description,
    ...counters,
  });
  cr.dispose();
}

/** Device counters per step (dispatches, submits, kernel bytes) over the whole run. */
function perStep(n: number) {
  const s = cr.stats();
  return {
    dispatchesPerStep: s.dispatches / n,
    submitsPerStep: s.submits / n,
    readbacks: s.readbacks,
    kernelKiBReadPerStep: Math.round(s.kernelBytesRead / n / 1024),
    kernelKiBWrittenPerStep: Math.round(s.kernelBytesWritten / n / 1024),
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
