// The workloads of the peer page and what every library adapter implements. The data and the
// initial weights are generated here once, from a fixed seed, and uploaded to each library, so the
// three start from the same numbers and their losses can be compared.
import { normals, rng } from '../../src/random.ts';
import type { BenchState } from '../pages/common.ts';
import type { KernelReport } from './kernel-times.ts';
import type { LibraryInfo } from './versions.ts';

/** The learning rate of every MLP workload (plain SGD). */
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

/** One library's y = a @ b on the device, with a and b already uploaded. */
export interface MatmulRunner {
  run(): void;
  sync(): Promise<void>;
  dispose(): void;
}

/** What the page measures in every library. */
export interface Library extends LibraryInfo {
  mlp(data: MlpData): Promise<MlpRunner>;
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
