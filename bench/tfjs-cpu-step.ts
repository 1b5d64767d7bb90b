/**
 * Peer figure for bench/cpu-step.ts: the same SGD step of a 784-256-10 ReLU/softmax MLP at batch
 * 128, on TensorFlow.js's pure-JS CPU backend (@tensorflow/tfjs-backend-cpu, no native bindings).
 *
 *   npm run bench:tfjs-cpu                 # 3 warm-up steps, then 20 timed steps
 *   npm run bench:tfjs-cpu -- --steps 50
 *
 * "fwd+bwd" = tf.variableGrads (forward, softmax cross-entropy, backward); "update" = w.assign(w - lr * g).
 * The CPU backend is eager and synchronous, so every value is computed when its op returns.
 * Ops are called as tf.fn(...) because tfjs-core's chained methods (x.matMul) are not registered here.
 * Prints one Markdown table row and a final JSON line.
 */
import { reportStep, stepsOption, WARMUP } from './report.ts';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs union package does). Load
// TF.js's own gradient definitions; their ESM dist only loads through require (tsx compiles it),
// and they register into tfjs's global registry, shared with the bundle above.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');

const B = 128,
  D = 784,
  H = 256,
  C = 10,
  LR = 0.1;

async function main(): Promise<void> {
  const steps = stepsOption();
  await tf.setBackend('cpu');
  await tf.ready();

  // Fixed data and parameters (seeded): inputs ~ N(0, 1), labels uniform in [0, 10), small weights.
  const x = tf.randomNormal([B, D], 0, 1, 'float32', 1);
  const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.randomUniform([B], 0, C, 'int32', 2), C), 'float32'));
  const w1 = tf.variable(tf.randomNormal([D, H], 0, Math.sqrt(2 / D), 'float32', 3));
  const b1 = tf.variable(tf.zeros([H]));
  const w2 = tf.variable(tf.randomNormal([H, C], 0, Math.sqrt(2 / H), 'float32', 5));
  const b2 = tf.variable(tf.zeros([C]));
  const params = [w1, b1, w2, b2];
  const lossFn = () => tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2)) as tf.Scalar;

  const baseline = tf.memory().numTensors;
  let lastLoss = NaN;
  const step = (keepLoss: boolean): [number, number] => {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(lossFn, params);
    const t1 = performance.now();
    tf.tidy(() => params.forEach((p) => p.assign(tf.sub(p, tf.mul(grads[p.name], LR)))));
    const t2 = performance.now();
    if (keepLoss) lastLoss = value.dataSync()[0]; // after the clock: the value is already computed
    tf.dispose([value, ...Object.values(grads)]);
    return [t1 - t0, t2 - t1];
  };

  for (let s = 0; s < WARMUP; s++) step(false);
  const fb: number[] = [],
    up: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [a, b] = step(s === steps - 1);
    fb.push(a);
    up.push(b);
  }

  reportStep(`tfjs ${tf.version_core} cpu`, `${D}-${H}-${C}`, B, { fwdBwd: fb, update: up }, lastLoss, { leakedTensors: tf.memory().numTensors - baseline });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
