// npm run train -- [--steps N] [--hidden H] [--lr X] [--reg R] [--seed S] [--json]
// Trains a 2-layer ReLU/softmax network on the CS231n spiral with full-batch SGD on the CPU
// reference, as in the lecture's assignment. (The full trainer, with MNIST and WebGPU, comes next.)
import * as cr from '../index.ts';
import { spiral } from '../data/spiral.ts';

const usage = 'usage: npm run train -- [--steps N] [--hidden H] [--lr X] [--reg R] [--seed S] [--json]';
const defaults = { steps: 2000, hidden: 100, lr: 1, reg: 1e-3, seed: 0 };

function parse(argv: string[]): typeof defaults & { json: boolean } {
  const options = { ...defaults, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') {
      options.json = true;
      continue;
    }
    const key = flag.replace(/^--/, '') as keyof typeof defaults;
    const value = Number(argv[i + 1]);
    if (!flag.startsWith('--') || !(key in defaults)) throw new Error(`unknown option ${flag}`);
    if (argv[i + 1] === undefined || !Number.isFinite(value)) throw new Error(`${flag} needs a number, got ${argv[i + 1] ?? 'nothing'}`);
    if (key !== 'lr' && key !== 'reg' && !(Number.isInteger(value) && value >= 0)) throw new Error(`${flag} needs a whole number, got ${argv[i + 1]}`);
    options[key] = value;
    i++;
  }
  return options;
}

function accuracy(scores: Float32Array | Float64Array, labels: Int32Array, classes: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (scores[i * classes + j] > scores[i * classes + best]) best = j;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

async function main(): Promise<void> {
  let o: ReturnType<typeof parse>;
  try {
    o = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`train: ${(e as Error).message}\n${usage}`);
    process.exit(2);
  }
  await cr.init({ device: 'cpu' });
  const classes = 3;
  const { x, y } = spiral({ classes, points: 100, seed: o.seed });
  const labels = (await y.data()) as Int32Array;
  let W1 = cr.randn([2, o.hidden], { seed: o.seed + 1 }).mul(0.01).detach();
  let b1 = cr.zeros([o.hidden]);
  let W2 = cr.randn([o.hidden, classes], { seed: o.seed + 2 }).mul(0.01).detach();
  let b2 = cr.zeros([classes]);
  const start = performance.now();
  let loss = NaN;
  for (let step = 1; step <= o.steps; step++) {
    for (const p of [W1, b1, W2, b2]) p.requiresGrad = true;
    const scores = x.matmul(W1).add(b1).relu().matmul(W2).add(b2);
    const total = cr.softmaxCrossEntropy(scores, y).add(W1.l2().add(W2.l2()).mul(0.5 * o.reg));
    total.backward();
    // SGD: p <- p - lr dp, as new leaves (the full optimizers come with cr.optim)
    [W1, b1, W2, b2] = cr.noGrad(() => [W1, b1, W2, b2].map((p) => p.sub(p.grad!.mul(o.lr)).detach()));
    if (step % 500 === 0 || step === o.steps) {
      loss = await total.item();
      if (!o.json) console.log(`step ${String(step).padStart(5)}  loss ${loss.toFixed(4)}`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const scores = await x.matmul(W1).add(b1).relu().matmul(W2).add(b2).data();
  const acc = accuracy(scores as Float32Array, labels, classes);
  const result = { dataset: 'spiral', device: 'cpu', steps: o.steps, hidden: o.hidden, loss, trainAccuracy: acc, seconds };
  if (o.json) console.log(JSON.stringify(result));
  else console.log(`training accuracy ${(100 * acc).toFixed(1)}% after ${o.steps} steps in ${seconds.toFixed(1)} s (cpu)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
