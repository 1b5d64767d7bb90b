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
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs union package does). Load
// TF.js's own gradient definitions; their ESM dist only loads through require (tsx compiles it),
// and they register into tfjs's global registry, shared with the bundle above.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');

const B = 128, D = 784, H = 256, C = 10, LR = 0.1, WARMUP = 3;

async function main(): Promise<void> {
  const i = process.argv.indexOf('--steps');
  const steps = i >= 0 ? Number(process.argv[i + 1]) : 20;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer`);
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
  const fb: number[] = [], up: number[] = [], total: number[] = [];
  for (let s = 0; s < steps; s++) {
    const [a, b] = step(s === steps - 1);
    fb.push(a), up.push(b), total.push(a + b);
  }

  const median = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const r = (v: number) => Math.round(v * 100) / 100;
  const result = {
    bench: 'cpu-step', impl: `tfjs ${tf.version_core} cpu`, model: `${D}-${H}-${C}`, batch: B, warmup: WARMUP, steps,
    medianMs: r(median(total)), minMs: r(Math.min(...total)),
    fwdBwdMedianMs: r(median(fb)), updateMedianMs: r(median(up)), finalLoss: Number(lastLoss.toFixed(4)),
    leakedTensors: tf.memory().numTensors - baseline,
  };
  console.log('| impl | model | batch | steps | median ms/step | min ms/step | fwd+bwd median | update median | loss |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  console.log(`| ${result.impl} | ${result.model} | ${B} | ${steps} | ${result.medianMs} | ${result.minMs} | ${result.fwdBwdMedianMs} | ${result.updateMedianMs} | ${result.finalLoss} |`);
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
