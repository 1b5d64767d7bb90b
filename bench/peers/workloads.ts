// The workloads of the peer page and what every library adapter implements. The data and the
// initial weights are generated here once, from a fixed seed, and uploaded to each library, so the
// three start from the same numbers and their losses can be compared.
import { normals, rng } from '../../src/random.ts';
import type { BenchState } from '../pages/common.ts';
import type { KernelReport } from './kernel-times.ts';
import type { LibraryInfo } from './versions.ts';

/** The learning rate of every training workload, the MLPs and the CNN (plain SGD). */
export const LR = 0.01;

/** An MLP workload: sizes [in, hidden, out] (ReLU between, softmax cross-entropy on top) and the batch. */
export interface MlpSpec {
  sizes: readonly [number, number, number];
  batch: number;
}

/** The MLPs the page steps: the MNIST-sized 784-256-10 at batch 128, and CS231n's spiral net (2-D points, 3 classes). */
export const MLPS: readonly MlpSpec[] = [
  { sizes: [784, 256, 10], batch: 128 },
  { sizes: [2, 100, 3], batch: 300 },
];

/** "784-256-10, batch 128": the size column of an MLP's rows. */
export const mlpSize = ({ sizes, batch }: MlpSpec): string => `${sizes.join('-')}, batch ${batch}`;

/** Everything a library needs for an MLP step, as plain arrays (row-major), D-H-C at batch B. */
export interface MlpData extends MlpSpec {
  /** Inputs [B, D]. */
  x: Float32Array;
  /** Labels [B], in [0, C). */
  labels: Int32Array;
  /** The same labels one-hot, [B, C], for the libraries whose loss takes probabilities. */
  oneHot: Float32Array;
  /** Layer 1: w1 [D, H] (x @ w1, input-major: not PyTorch's [out, in]), b1 [H]. */
  w1: Float32Array;
  b1: Float32Array;
  /** Layer 2: w2 [H, C], b2 [C]. */
  w2: Float32Array;
  b2: Float32Array;
}

/** One library's MLP, built and on the device: step() enqueues one SGD step (no waiting). */
export interface MlpRunner {
  step(): void;
  /** Resolves when the device has finished everything enqueued so far. */
  sync(): Promise<void>;
  /** The loss computed by the latest step (read back; call after sync). */
  loss(): Promise<number>;
  /** Anything worth a note in the row (e.g. TF.js's tensor count, to show the step does not leak). */
  note?(): string;
  dispose(): void;
}

/** A conv layer's forward and backward: x [N, C, H, W], w [OC, C, K, K], bias [OC], stride 1, the padding on every side. */
export interface ConvSpec {
  batch: number;
  channels: number;
  outChannels: number;
  /** Input height and width. */
  size: number;
  kernel: number;
  padding: number;
}

/** The page's conv layer: 64 images of 32 channels, 28x28, a 3x3 kernel to 32 channels, padding 1 (output 28x28). */
export const CONV: ConvSpec = { batch: 64, channels: 32, outChannels: 32, size: 28, kernel: 3, padding: 1 };

/** The output's height and width (stride 1). */
export const convOut = ({ size, kernel, padding }: ConvSpec): number => size + 2 * padding - kernel + 1;

/** "x [64, 32, 28, 28], w [32, 32, 3, 3], padding 1": the size column of the conv rows. */
export const convSize = (s: ConvSpec): string =>
  `x [${s.batch}, ${s.channels}, ${s.size}, ${s.size}], w [${s.outChannels}, ${s.channels}, ${s.kernel}, ${s.kernel}], padding ${s.padding}`;

/** FLOPs of the forward convolution, 2 N OC OH OW C KH KW (the backward, dx and dw, is twice that). */
export const convFlops = (s: ConvSpec): number => 2 * s.batch * s.outChannels * convOut(s) ** 2 * s.channels * s.kernel ** 2;

/** A conv layer's data in PyTorch's layouts (NCHW, weights OIHW), row-major. */
export interface ConvData extends ConvSpec {
  /** Input [N, C, H, W]. */
  x: Float32Array;
  /** Weights [OC, C, K, K]. */
  w: Float32Array;
  /** Bias [OC]. */
  b: Float32Array;
  /** The upstream gradient [N, OC, OH, OW]: the loss is sum(y * g). */
  g: Float32Array;
}

/** What one run of the conv workload computed, read back, in ConvData's layouts (NCHW, OIHW). */
export interface ConvResult {
  /** sum(y * g). */
  loss: number;
  dx: Float32Array;
  dw: Float32Array;
  db: Float32Array;
}

/** One library's conv layer, data uploaded: run() enqueues y = conv(x, w) + b, the loss sum(y * g), and dx, dw, db. */
export interface ConvRunner {
  run(): void;
  sync(): Promise<void>;
  /** The latest run's loss and gradients (read back; call after sync). */
  result(): Promise<ConvResult>;
  dispose(): void;
}

/** The CNN of the peer page: conv 5x5 1->8, ReLU, pool 2, conv 5x5 8->16, ReLU, pool 2, flatten, Linear 256->64, ReLU, Linear 64->10. */
export const CNN = { batch: 64, size: 28, kernel: 5, channels: [1, 8, 16], hidden: 64, classes: 10 } as const;

/** The flattened features after the second pool: 16 channels of 4x4. */
export const CNN_FEATURES = CNN.channels[2] * (((CNN.size - CNN.kernel + 1) / 2 - CNN.kernel + 1) / 2) ** 2;

const [CNN_C0, CNN_C1, CNN_C2] = CNN.channels;

/** The CNN's parameters, in the order and layouts of CnnData: OIHW convolutions, input-major linear layers. */
export const CNN_PARAMS = {
  c1w: [CNN_C1, CNN_C0, CNN.kernel, CNN.kernel],
  c1b: [CNN_C1],
  c2w: [CNN_C2, CNN_C1, CNN.kernel, CNN.kernel],
  c2b: [CNN_C2],
  f1w: [CNN_FEATURES, CNN.hidden],
  f1b: [CNN.hidden],
  f2w: [CNN.hidden, CNN.classes],
  f2b: [CNN.classes],
} as const;
export type CnnParamName = keyof typeof CNN_PARAMS;

/** Each CNN parameter made by `make` from its initial values and shape (CNN_PARAMS). */
export function cnnParams<T>(data: CnnData, make: (values: Float32Array, shape: number[], name: CnnParamName) => T): Record<CnnParamName, T> {
  const names = Object.keys(CNN_PARAMS) as CnnParamName[];
  return Object.fromEntries(names.map((name) => [name, make(data[name], [...CNN_PARAMS[name]], name)])) as Record<CnnParamName, T>;
}

/** "28x28x1 → conv 5x5 1-8 … , batch 64": the size column of the CNN rows. */
export const cnnSize = `28×28×1, conv5 8, pool, conv5 16, pool, ${CNN_FEATURES}-${CNN.hidden}-${CNN.classes}, batch ${CNN.batch}`;

/** The CNN's data and initial weights: convolutions in PyTorch's layouts (NCHW input, OIHW weights), the linear layers input-major as MlpData's. */
export interface CnnData {
  batch: number;
  /** Inputs [B, 1, 28, 28]. */
  x: Float32Array;
  labels: Int32Array;
  oneHot: Float32Array;
  /** conv1: [8, 1, 5, 5], [8]; conv2: [16, 8, 5, 5], [16]. */
  c1w: Float32Array;
  c1b: Float32Array;
  c2w: Float32Array;
  c2b: Float32Array;
  /** fc1: [256, 64] (rows in NCHW flatten order: channel, then row, then column), [64]; fc2: [64, 10], [10]. */
  f1w: Float32Array;
  f1b: Float32Array;
  f2w: Float32Array;
  f2b: Float32Array;
}

/** One library's y = a @ b on the device, with a and b already uploaded. */
export interface MatmulRunner {
  run(): void;
  sync(): Promise<void>;
  dispose(): void;
}

/** What the page measures in every library. */
export interface Library extends LibraryInfo {
  mlp(data: MlpData): Promise<MlpRunner>;
  /** The conv layer's forward and backward. */
  conv(data: ConvData): Promise<ConvRunner>;
  /** The CNN's SGD step (lr LR), a runner like the MLP's. */
  cnn(data: CnnData): Promise<MlpRunner>;
  matmul(n: number, a: Float32Array, b: Float32Array): Promise<MatmulRunner>;
  /**
   * Per-kernel GPU times of `steps` more runs of `run` (each awaited with `sync`): a profiling run
   * of its own, after the timed ones, which it does not touch.
   */
  profile(run: () => void, sync: () => Promise<void>, steps: number): Promise<KernelReport>;
}

/** One library's kernels in one MLP workload (window.__bench.kernels). */
export interface KernelEntry extends KernelReport {
  workload: string;
  size: string;
  library: string;
}

/** The peer page's window.__bench: the rows, the kernel breakdowns, and those as Markdown (tables). */
export type PeersState = BenchState & { kernels?: KernelEntry[] };

/** n standard normals scaled by std, from a seed (chainrule's generator: the same numbers in every library). */
function scaledNormals(n: number, seed: number, std = 1): Float32Array {
  return Float32Array.from(normals(n, rng(seed)), (v) => v * std);
}

/** An MLP's data: inputs ~ N(0, 1), labels uniform, He-initialised weights (N(0, 2/in)), zero biases. */
export function mlpData({ sizes, batch }: MlpSpec, seed = 1): MlpData {
  const [D, H, C] = sizes;
  const u = rng(seed + 2);
  const labels = Int32Array.from({ length: batch }, () => Math.floor(u() * C));
  const oneHot = new Float32Array(batch * C);
  labels.forEach((l, i) => (oneHot[i * C + l] = 1));
  return {
    sizes,
    batch,
    x: scaledNormals(batch * D, seed),
    labels,
    oneHot,
    w1: scaledNormals(D * H, seed + 3, Math.sqrt(2 / D)),
    b1: new Float32Array(H),
    w2: scaledNormals(H * C, seed + 4, Math.sqrt(2 / H)),
    b2: new Float32Array(C),
  };
}

/** The conv layer's data: x and g ~ N(0, 1), He-initialised weights (N(0, 2 / (C K K))), a small random bias. */
export function convData(spec: ConvSpec = CONV, seed = 31): ConvData {
  const { batch: N, channels: C, outChannels: OC, kernel: K } = spec;
  const O = convOut(spec);
  return {
    ...spec,
    x: scaledNormals(N * C * spec.size ** 2, seed),
    w: scaledNormals(OC * C * K * K, seed + 1, Math.sqrt(2 / (C * K * K))),
    b: scaledNormals(OC, seed + 2, 0.1),
    g: scaledNormals(N * OC * O * O, seed + 3),
  };
}

/** The CNN's data: inputs ~ N(0, 1), labels uniform, He-initialised weights, zero biases. */
export function cnnData(seed = 41): CnnData {
  const {
    batch: B,
    size: S,
    kernel: K,
    channels: [C0, C1, C2],
    hidden: H,
    classes: L,
  } = CNN;
  const u = rng(seed + 1);
  const labels = Int32Array.from({ length: B }, () => Math.floor(u() * L));
  const oneHot = new Float32Array(B * L);
  labels.forEach((l, i) => (oneHot[i * L + l] = 1));
  return {
    batch: B,
    x: scaledNormals(B * C0 * S * S, seed),
    labels,
    oneHot,
    c1w: scaledNormals(C1 * C0 * K * K, seed + 2, Math.sqrt(2 / (C0 * K * K))),
    c1b: new Float32Array(C1),
    c2w: scaledNormals(C2 * C1 * K * K, seed + 3, Math.sqrt(2 / (C1 * K * K))),
    c2b: new Float32Array(C2),
    f1w: scaledNormals(CNN_FEATURES * H, seed + 4, Math.sqrt(2 / CNN_FEATURES)),
    f1b: new Float32Array(H),
    f2w: scaledNormals(H * L, seed + 5, Math.sqrt(2 / H)),
    f2b: new Float32Array(L),
  };
}

/**
 * Permutes the axes of a row-major array of this shape: out's axis i is a's axis perm[i] (as
 * numpy.transpose): e.g. NCHW to NHWC with [0, 2, 3, 1], OIHW to HWIO with [2, 3, 1, 0].
 */
export function permute(a: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((m, d) => m * d, 1));
  const outStrides = perm.map((p) => strides[p]); // the input stride of each output axis
  const out = new Float32Array(a.length);
  const idx = new Array<number>(outShape.length).fill(0);
  let src = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = a[src];
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) {
        src += outStrides[d];
        break;
      }
      src -= outStrides[d] * (outShape[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

/** The transpose of a row-major [rows, cols] matrix. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/**
 * Runs `run` warmup times untimed, then `repeats` times, each timed until `sync` resolves (the
 * device's completion): common.ts's time() with the library's own wait instead of cr.sync.
 */
export async function timeWith(
  run: () => void,
  sync: () => Promise<void>,
  { warmup, repeats }: { warmup: number; repeats: number },
): Promise<{ median: number; min: number }> {
  for (let i = 0; i < warmup; i++) {
    run();
    await sync();
  }
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    await sync();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const m = samples.length >> 1;
  return { median: samples.length % 2 ? samples[m] : (samples[m - 1] + samples[m]) / 2, min: samples[0] };
}
