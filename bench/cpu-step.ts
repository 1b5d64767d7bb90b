/**
 * One SGD training step of a 784-256-10 ReLU/softmax MLP at batch 128 on chainrule's CPU reference.
 *
 *   npm run bench:cpu                 # 3 warm-up steps, then 20 timed steps
 *   npm run bench:cpu -- --steps 50
 *
 * A step = forward, softmaxCrossEntropy, backward, realize loss + grads ("fwd+bwd"), then an SGD
 * update by hand under noGrad: w - lr * w.grad, realized and made the new leaf parameters ("update").
 * Prints one Markdown table row and a final JSON line. Compare: bench/tfjs-cpu-step.ts.
 */
import { reportStep, stepsOption, WARMUP } from './report.ts';
import * as cr from '../src/index.ts';

const B = 128, D = 784, H = 256, C = 10, LR = 0.1;

async function main(): Promise<void> {
  const steps = stepsOption();
  await cr.init({ device: 'cpu' });

  // Fixed data and parameters (seeded): inputs ~ N(0, 1), labels uniform in [0, 10), small weights.
  const x = cr.randn([B, D], { seed: 1 }).realize();
  const labelValues = Int32Array.from(await cr.rand([B], { seed: 2 }).data(), (u) => Math.floor(u * C));
  const labels = cr.tensor(labelValues, [B], { dtype: 'int32' });
  const param = (shape: number[], seed: number, scale: number) => {
    const p = cr.randn(shape, { seed }).mul(scale).detach();
    p.requiresGrad = true;
    return p;
  };
  let params = [param([D, H], 3, Math.sqrt(2 / D)), param([H], 4, 0), param([H, C], 5, Math.sqrt(2 / H)), param([C], 6, 0)];

  let loss!: cr.Tensor;
  const step = (): [number, number] => {
    const t0 = performance.now();
    const [w1, b1, w2, b2] = params;
    loss = cr.softmaxCrossEntropy(x.matmul(w1).add(b1).relu().matmul(w2).add(b2), labels);
    loss.backward();
    loss.realize();
    for (const p of params) p.grad!.realize();
    const t1 = performance.now();
    params = cr.noGrad(() =>
      params.map((p) => {
        const next = p.sub(p.grad!.mul(LR)).realize().detach();
        next.requiresGrad = true;
        return next;
      }),
    );
    const t2 = performance.now();
    return [t1 - t0, t2 - t1];
  };

  for (let s = 0; s < WARMUP; s++) step();
  const fb: number[] = [], up: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [a, b] = step();
    fb.push(a), up.push(b);
  }
  const lastLoss = await loss.item(); // read back after timing (already realized)

  reportStep('chainrule cpu', `${D}-${H}-${C}`, B, { fwdBwd: fb, update: up }, lastLoss);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
