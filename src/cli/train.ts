// npm run train -- [--dataset mnist|spiral] [--model mlp|cnn] [--hidden 256[,128]] [--device webgpu|cpu]
//   [--channels C1,C2] [--epochs N] [--batch B] [--lr X] [--lr-schedule constant|cosine|decay] [--lr-decay D]
//   [--optimizer sgd|adam] [--momentum M] [--reg R] [--seed S]
//   [--save model.safetensors] [--check-numerics] [--json]
// Trains a ReLU/softmax MLP or a small CNN with cr.nn.fit: a live progress line (epoch, step, loss, steps/s, ETA),
// then test accuracy (MNIST) or training accuracy (spiral) and the time; --json prints one line.
import { writeFile } from 'node:fs/promises';
import * as cr from '../node.ts';
import { parseFlags, UsageError, type FlagSpec } from './flags.ts';

const usage = `usage: npm run train -- [options]
  --dataset mnist|spiral   default mnist (60,000 training and 10,000 test images)
  --model mlp|cnn          a ReLU MLP (default), or a CNN (mnist only): conv 5x5 1->8, ReLU, max pool 2,
                           conv 5x5 8->16, ReLU, max pool 2, Linear 256->128, ReLU, Linear 128->10
  --hidden H[,H2...]       hidden layer sizes; default 256 (mnist), 100 (spiral); the CNN's: 128
  --channels C1,C2         the CNN's conv channels; default 8,16
  --device webgpu|cpu      default: WebGPU if an adapter exists, else the CPU
  --epochs N               default 2 (mnist), 3 (cnn), 300 (spiral)
  --batch B                default 128 (mnist), 64 (cnn), 300 = the whole set (spiral)
  --lr X                   default 0.1 (sgd), 0.001 (adam), 0.003 (adam, cnn); 1 for sgd on spiral
  --optimizer sgd|adam     default sgd (with --momentum, default 0.9); adam (lr 0.003) for the cnn
  --momentum M             SGD momentum, default 0.9
  --lr-schedule S          constant, cosine (from --lr down to 0 over the run, step by step), or decay
                           (times --lr-decay after each epoch); default constant, cosine for the cnn
  --lr-decay D             the decay schedule's factor per epoch, default 0.3
  --reg R                  L2 strength on the weights, default 0 (mnist), 1e-3 (spiral)
  --seed S                 initial weights and batch order, default 0
  --save FILE              write the trained weights as safetensors (PyTorch names and layout)
  --check-numerics         stop at the first op that makes a NaN or an infinity, naming it
  --json                   print one line of JSON results instead of progress`;

const flags = {
  dataset: { kind: 'choice', choices: ['mnist', 'spiral'] as const },
  model: { kind: 'choice', choices: ['mlp', 'cnn'] as const },
  hidden: { kind: 'sizes' },
  channels: { kind: 'sizes' },
  device: { kind: 'choice', choices: ['webgpu', 'cpu'] as const },
  epochs: { kind: 'int', min: 1 },
  batch: { kind: 'int', min: 1 },
  lr: { kind: 'number', min: 0 },
  optimizer: { kind: 'choice', choices: ['sgd', 'adam'] as const },
  momentum: { kind: 'number', min: 0 },
  reg: { kind: 'number', min: 0 },
  seed: { kind: 'int', min: 0 },
  save: { kind: 'string' },
  'lr-schedule': { kind: 'choice', choices: ['constant', 'cosine', 'decay'] as const },
  'lr-decay': { kind: 'number', min: 0 },
  'check-numerics': { kind: 'bool' },
  json: { kind: 'bool' },
  help: { kind: 'bool' },
} satisfies Record<string, FlagSpec>;

async function main(): Promise<void> {
  let o: ReturnType<typeof parseFlags<typeof flags>>;
  try {
    o = parseFlags(process.argv.slice(2), flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`train: ${e.message}\n${usage}`);
    process.exit(2);
  }
  if (o.help) {
    console.log(usage);
    return;
  }
  const dataset = o.dataset ?? 'mnist';
  const spiral = dataset === 'spiral';
  const conv = o.model === 'cnn';
  if (conv && spiral) {
    console.error(`train: --model cnn takes 28x28 images: use it with --dataset mnist\n${usage}`);
    process.exit(2);
  }
  if (o.channels && (!conv || o.channels.length !== 2)) {
    console.error(`train: --channels takes two sizes (C1,C2) and goes with --model cnn, got ${o.channels.join(',')}\n${usage}`);
    process.exit(2);
  }
  if (o['lr-decay'] !== undefined && o['lr-schedule'] !== undefined && o['lr-schedule'] !== 'decay') {
    console.error(`train: --lr-decay goes with --lr-schedule decay, got --lr-schedule ${o['lr-schedule']}\n${usage}`);
    process.exit(2);
  }
  const optimizer = o.optimizer ?? (conv ? 'adam' : 'sgd');
  const channels = o.channels ?? [8, 16];
  const lrSchedule = o['lr-schedule'] ?? (o['lr-decay'] !== undefined ? 'decay' : conv ? 'cosine' : 'constant');
  const settings = {
    dataset,
    model: conv ? 'cnn' : 'mlp',
    hidden: o.hidden ?? [spiral ? 100 : conv ? 128 : 256],
    ...(conv ? { channels } : {}),
    epochs: o.epochs ?? (spiral ? 300 : conv ? 3 : 2),
    batch: o.batch ?? (spiral ? 300 : conv ? 64 : 128),
    optimizer,
    lr: o.lr ?? (optimizer === 'adam' ? (conv ? 3e-3 : 1e-3) : spiral ? 1 : 0.1),
    lrSchedule,
    ...(lrSchedule === 'decay' ? { lrDecay: o['lr-decay'] ?? 0.3 } : {}),
    momentum: o.momentum ?? 0.9,
    reg: o.reg ?? (spiral ? 1e-3 : 0),
    seed: o.seed ?? 0,
  };
  const log = (line: string) => !o.json && console.log(line);

  const info = await cr.init({ device: o.device, quiet: true, checkNumerics: o['check-numerics'] });
  log(`device: ${info.description}`);
  const { train, test, classes } = await load(dataset, settings.seed);
  const model = conv
    ? cr.nn.cnn({ channels: [channels[0], channels[1]], hidden: settings.hidden[0], classes, seed: settings.seed })
    : new cr.nn.MLP([train.x.shape[1], ...settings.hidden, classes], { seed: settings.seed });
  const described = conv ? `cnn (conv ${channels[0]}, conv ${channels[1]}, ${settings.hidden[0]}, ${classes})` : (model as cr.nn.MLP).sizes.join('-');
  const params = model.parameters();
  const opt =
    optimizer === 'adam' ? new cr.optim.Adam(params, { lr: settings.lr }) : new cr.optim.SGD(params, { lr: settings.lr, momentum: settings.momentum });
  const batches = cr.data.batches(train.x, train.y, { batchSize: Math.min(settings.batch, train.x.shape[0]), seed: settings.seed });
  const loss = (s: cr.Tensor, y: cr.Tensor) => cr.nn.softmaxCrossEntropy(s, y, { reg: settings.reg, weights: model.weights() });
  log(
    `${dataset}: ${train.x.shape[0]} training examples, model ${described}, ${optimizer} lr ${settings.lr}${settings.lrSchedule === 'constant' ? '' : ` (${settings.lrSchedule}${settings.lrDecay === undefined ? '' : ` ${settings.lrDecay}`})`}, batch ${batches.batchSize}, ${settings.epochs} epochs`,
  );

  const bar = new ProgressBar(!o.json, process.stdout.isTTY === true);
  const epochAccuracy: number[] = [];
  const result = await cr.nn.fit(model, opt, batches, {
    epochs: settings.epochs,
    loss,
    reportEvery: spiral ? 25 : 50,
    onProgress: (p) => bar.update(p),
    lr: settings.lrSchedule === 'cosine' ? cr.optim.cosineLr(settings.lr) : undefined,
    onEpoch: async (epoch, seconds) => {
      if (settings.lrDecay !== undefined) opt.lr *= settings.lrDecay;
      if (!test) return;
      epochAccuracy.push(await cr.nn.evaluate(model, test.x, test.y));
      bar.done(`epoch ${epoch}: test accuracy ${pct(epochAccuracy[epoch - 1])} in ${seconds.toFixed(1)} s`);
    },
  });
  const evalSet = test ?? train;
  const finalAccuracy = test ? epochAccuracy[epochAccuracy.length - 1] : await cr.nn.evaluate(model, evalSet.x, evalSet.y);
  bar.done('');
  if (o.save) await writeFile(o.save, await cr.io.saveSafetensors(model.stateDict(), { format: 'pt', chainrule: `${settings.model} ${described}` }));

  const summary = {
    ...settings,
    ...(conv ? {} : { sizes: (model as cr.nn.MLP).sizes }),
    device: info.device,
    adapter: info.description,
    steps: result.steps,
    seconds: round(result.seconds),
    secondsPerEpoch: round(result.seconds / Math.max(result.epochSeconds.length, 1), 3),
    trainLoss: round(result.loss, 4),
    [test ? 'testAccuracy' : 'trainAccuracy']: round(finalAccuracy, 4),
    ...(test ? { testAccuracyPerEpoch: epochAccuracy.map((a) => round(a, 4)) } : {}),
    ...(o.save ? { saved: o.save } : {}),
  };
  if (o.json) console.log(JSON.stringify(summary));
  else {
    const perEpoch = result.epochSeconds.reduce((a, b) => a + b, 0) / result.epochSeconds.length;
    console.log(
      `${test ? 'test' : 'training'} accuracy ${pct(finalAccuracy)} after ${settings.epochs} epochs, ${result.seconds.toFixed(1)} s (${perEpoch.toFixed(2)} s/epoch) on ${info.device}`,
    );
    if (o.save) console.log(`saved ${o.save}`);
  }
  cr.dispose();
}

async function load(dataset: 'mnist' | 'spiral', seed: number) {
  if (dataset === 'spiral') {
    const train = cr.data.spiral({ classes: 3, points: 100, seed });
    return { train, test: undefined, classes: 3 };
  }
  const { train, test } = await cr.data.mnist();
  return { train, test, classes: 10 };
}

/** One line redrawn in place on a terminal; otherwise a plain line every 5 s and at the end. */
class ProgressBar {
  #printed = -Infinity;
  constructor(
    private readonly enabled: boolean,
    private readonly tty: boolean,
  ) {}

  update(p: cr.nn.Progress): void {
    if (!this.enabled) return;
    const done = ((p.epoch - 1) * p.stepsPerEpoch + p.step) / (p.epochs * p.stepsPerEpoch);
    const width = 24;
    const filled = Math.round(done * width);
    const line =
      `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${p.step}/${p.stepsPerEpoch}` +
      `  loss ${p.loss.toFixed(4)}  acc ${pct(p.accuracy)}  ${p.stepsPerSecond.toFixed(1)} steps/s  ETA ${formatSeconds(p.eta)}`;
    if (this.tty) process.stdout.write(`\r${line}\x1b[K`);
    else if (p.elapsed - this.#printed >= 5 || done === 1) {
      this.#printed = p.elapsed;
      console.log(line);
    }
  }

  done(message: string): void {
    if (!this.enabled) return;
    if (this.tty) process.stdout.write('\r\x1b[K');
    if (message) console.log(message);
  }
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
const round = (v: number, digits = 2) => Number(v.toFixed(digits));
const formatSeconds = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

main().catch((e) => {
  console.error(e instanceof cr.ChainruleError ? `train: ${e.message}` : e);
  process.exit(1);
});
