/**
 * Memory over a long training run: live and pooled device bytes, live tensors and the JS heap,
 * sampled after a garbage collection every `--every` steps, for a MLP trained on the spiral with minibatches gathered on the
 * device (as cr.nn.fit does). Flat numbers after warm-up mean nothing leaks.
 *
 *   npx tsx bench/memory.ts                       # WebGPU, 10,000 steps
 *   npx tsx bench/memory.ts --device cpu --steps 2000 --every 200
 *
 * Prints a Markdown table and a JSON line; exits 1 if live bytes, live tensors or pooled bytes grew
 * after warm-up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as cr from '../src/node.ts';
import { option } from './report.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets finalizers run: what is live after it is what the program still holds. */
async function collect(): Promise<void> {
  // Finalizers run in tasks after a collection; on a busy machine they may take a few turns.
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface MemorySample {
  step: number;
  liveBytes: number;
  pooledBytes: number;
  liveTensors: number;
  heapMB: number;
}

/** Trains for `steps` steps and samples memory every `every` steps (after a read, so the work is done). */
export async function watchMemory(steps: number, every: number): Promise<MemorySample[]> {
  const { x, y } = cr.data.spiral({ classes: 3, points: 100, seed: 0 });
  const model = new cr.nn.MLP([2, 64, 3], { seed: 0 });
  const opt = new cr.optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
  const mean = new cr.nn.RunningMean();
  const samples: MemorySample[] = [];
  let step = 0;
  while (step < steps) {
    for (const batch of cr.data.batches(x, y, { batchSize: 50, seed: step })) {
      const loss = cr.nn.softmaxCrossEntropy(model.forward(batch.x), batch.y, { reg: 1e-4, weights: model.weights() });
      opt.zeroGrad();
      loss.backward();
      mean.add(loss);
      opt.step();
      if (++step % every === 0) {
        await mean.readAndReset();
        await collect();
        const s = cr.stats();
        const live = cr.memory().byOrigin.reduce((n, g) => n + g.tensors, 0);
        samples.push({ step, liveBytes: s.liveBytes, pooledBytes: s.pooledBytes, liveTensors: live, heapMB: process.memoryUsage().heapUsed / 2 ** 20 });
      }
      if (step === steps) break;
    }
  }
  return samples;
}

async function main(): Promise<void> {
  const device = option('device', 'webgpu') as cr.DeviceName;
  const steps = Number(option('steps', '10000'));
  const every = Number(option('every', '1000'));
  const info = await cr.init({ device });
  const t0 = performance.now();
  const samples = await watchMemory(steps, every);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`| step | live bytes | pooled bytes | live tensors | JS heap MB |\n|---|---|---|---|---|`);
  for (const s of samples) console.log(`| ${s.step} | ${s.liveBytes} | ${s.pooledBytes} | ${s.liveTensors} | ${s.heapMB.toFixed(1)} |`);
  const after = samples.slice(1); // the first sample is warm-up
  const grew = (key: 'liveBytes' | 'liveTensors' | 'pooledBytes') => Math.max(...after.map((s) => s[key])) - Math.min(...after.map((s) => s[key]));
  const result = {
    bench: 'memory',
    device: info.device,
    adapter: info.description,
    steps,
    seconds: Number(seconds.toFixed(1)),
    liveBytesRange: grew('liveBytes'),
    pooledBytesRange: grew('pooledBytes'),
    liveTensorsRange: grew('liveTensors'),
  };
  console.log(JSON.stringify(result));
  cr.dispose();
  if (result.liveBytesRange > 0 || result.liveTensorsRange > 2 || result.pooledBytesRange > 64 * 1024) process.exit(1);
}

if (process.argv[1]?.endsWith('memory.ts')) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
