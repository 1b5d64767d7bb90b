// The form: what a run uses, defaults that suit each dataset, and checks with readable messages.

export type Dataset = 'spiral' | 'mnist';
export type OptimizerName = 'sgd' | 'adam';
export type Device = 'webgpu' | 'cpu';
export type ModelName = 'mlp' | 'cnn';
export type Schedule = 'constant' | 'cosine';

export interface Settings {
  dataset: Dataset;
  /** MNIST can train a CNN (cr.nn.cnn: its hidden layer is the first of `hidden`); the spiral an MLP. */
  model: ModelName;
  hidden: number[];
  optimizer: OptimizerName;
  lr: number;
  /** cosine: from lr down to 0 over the run, step by step (cr.optim.cosineLr). */
  schedule: Schedule;
  batch: number;
  epochs: number;
  device: Device;
  /** MNIST: train on the first `subset` images (all 60,000 take ~40 s per epoch on a software GPU). */
  subset: number;
}

const form = () => document.querySelector<HTMLFormElement>('#settings')!;
const field = (name: string) => form().elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

/** Known-good starting points: the spiral as in CS231n, MNIST ~96% after one epoch. */
function defaults(dataset: Dataset, optimizer: OptimizerName) {
  const lr = optimizer === 'adam' ? (dataset === 'spiral' ? 0.01 : 0.001) : dataset === 'spiral' ? 1 : 0.1;
  return dataset === 'spiral' ? { hidden: '100', lr, batch: 300, epochs: 300 } : { hidden: '256', lr, batch: 128, epochs: 1 };
}

/** Puts the dataset's (or the model's) defaults in the form (the optimizer only changes the learning rate). */
export function applyDefaults(changed: 'dataset' | 'optimizer' | 'model'): void {
  const cnn = field('dataset').value === 'mnist' && field('model').value === 'cnn';
  if (changed === 'model') field('optimizer').value = cnn ? 'adam' : 'sgd'; // the CNN learns fastest with Adam
  const d = defaults(field('dataset').value as Dataset, field('optimizer').value as OptimizerName);
  // The CNN's recipe (npm run train -- --model cnn): Adam at 0.003 on a cosine, 99% in 3 epochs
  const cnnAdam = cnn && field('optimizer').value === 'adam';
  field('lr').value = String(cnnAdam ? 0.003 : d.lr);
  field('schedule').value = cnnAdam ? 'cosine' : 'constant';
  if (changed === 'optimizer') return;
  field('hidden').value = cnn ? '128' : d.hidden;
  field('batch').value = String(cnn ? 64 : d.batch);
  field('epochs').value = String(d.epochs);
}

export function readSettings(): Settings {
  const text = (name: string) => field(name).value.trim();
  const int = (name: string, label: string) => {
    const v = Number(text(name));
    if (!Number.isInteger(v) || v < 1) throw new Error(`${label} must be a whole number >= 1, got "${text(name)}"`);
    return v;
  };
  const hidden =
    text('hidden') === ''
      ? []
      : text('hidden')
          .split(/[\s,]+/)
          .map(Number);
  if (!hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new Error(`Hidden layers must be sizes separated by commas (e.g. "256" or "256, 128"), got "${text('hidden')}"`);
  }
  const lr = Number(text('lr'));
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`Learning rate must be a number > 0, got "${text('lr')}"`);
  return {
    dataset: text('dataset') as Dataset,
    model: text('dataset') === 'mnist' ? (text('model') as ModelName) : 'mlp',
    hidden,
    optimizer: text('optimizer') as OptimizerName,
    lr,
    schedule: text('schedule') as Schedule,
    batch: int('batch', 'Batch size'),
    epochs: int('epochs', 'Epochs'),
    device: text('device') as Device,
    subset: int('subset', 'MNIST training images'),
  };
}

/** Locks the form while training (a run keeps the settings it started with). */
export function lockSettings(locked: boolean): void {
  // (lib has no DOM.Iterable here, hence Array.from)
  for (const el of Array.from(form().elements)) (el as HTMLInputElement).disabled = locked;
}
