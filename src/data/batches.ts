/** Minibatches gathered on the device from one uploaded permutation per epoch. */
import { fail } from '../errors.ts';
import { rng } from '../random.ts';
import { fromValues, Tensor } from '../tensor.ts';

export interface BatchOptions {
  batchSize: number;
  /** A new random order every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the first epoch's order; epoch e uses seed + e. Default 0. */
  seed?: number;
  /** Skip a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

export interface Batch {
  readonly x: Tensor;
  readonly y: Tensor;
  /** Position of the batch in its epoch, from 0. */
  readonly index: number;
}

/**
 * Minibatches of (x, y) by rows. Iterating gives one epoch. The data stays where it is (on the GPU
 * once uploaded): an epoch uploads its order once, as int32 indices, and every batch is a gather
 * of a window of it computed on the device, so a training loop uploads nothing per step.
 */
export class Batches implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  #epoch = 0;
  readonly #seed: number;

  constructor(
    readonly x: Tensor,
    readonly y: Tensor,
    options: BatchOptions,
  ) {
    if (!(x instanceof Tensor) || !(y instanceof Tensor)) fail('batches', 'x and y must be Tensors');
    if (x.ndim < 1 || y.ndim < 1 || x.shape[0] !== y.shape[0]) fail('batches', `x ${x.shapeString} and y ${y.shapeString} must have the same number of rows`);
    const { batchSize } = options ?? {};
    if (!Number.isInteger(batchSize) || batchSize < 1) fail('batches', `batchSize must be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.#seed = options.seed ?? 0;
  }

  /** Rows in the data set. */
  get rows(): number {
    return this.x.shape[0];
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.rows / this.batchSize) : Math.ceil(this.rows / this.batchSize);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const order = fromValues(this.order(this.#epoch++), [this.rows]);
    for (let index = 0; index < this.length; index++) {
      const offset = index * this.batchSize;
      const rows = Math.min(this.batchSize, this.rows - offset);
      yield { x: this.x.gather(order, { offset, rows }), y: this.y.gather(order, { offset, rows }), index };
    }
  }

  /** The row order of an epoch: a seeded Fisher-Yates shuffle, or 0..n-1. */
  private order(epoch: number): Int32Array {
    const order = Int32Array.from({ length: this.rows }, (_, i) => i);
    if (!this.shuffle) return order;
    const next = rng(this.#seed + epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  }
}

/** Minibatches of x and y: `for (const { x, y } of cr.data.batches(X, Y, { batchSize: 128 }))`. */
export function batches(x: Tensor, y: Tensor, options: BatchOptions): Batches {
  return new Batches(x, y, options);
}
