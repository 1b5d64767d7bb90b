import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { formatShape, sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

/** Which entries of `index` to use: index[offset .. offset + rows). */
export interface GatherAttrs {
  readonly offset: number;
  readonly rows: number;
}

/**
 * Rows of x (any dtype) at positions index[offset + i]: y[i, ...] = x[index[offset + i], ...], as
 * tf.gather on axis 0. The window lets a minibatch be one slice of an epoch's permutation, with no
 * upload per step. dx[r, ...] = sum of dy[i, ...] over the i that picked row r.
 */
export const gather = defineOp({
  name: 'gather',
  // tf.gather on axis 0; `offset` and `rows` pick a window of the index (default: all of it).
  call(x: Tensor, index: Tensor | readonly number[] | Int32Array, options: { offset?: number; rows?: number } = {}): Call<GatherAttrs> {
    const n = Array.isArray(index) || index instanceof Int32Array ? index.length : sizeOf((index as Tensor).shape ?? []);
    const offset = options.offset ?? 0;
    return { inputs: [x, index], attrs: { offset, rows: options.rows ?? n - offset } };
  },
  inputs: [
    { name: 'x', dtype: 'any', differentiable: true },
    { name: 'index', dtype: 'int32', differentiable: false },
  ],
  infer([x, index], { offset, rows }) {
    if (x.shape.length === 0) fail('gather', `x must have at least one dimension (rows), got a scalar`);
    if (index.shape.length !== 1) fail('gather', `index must be 1-D, got shape ${formatShape(index.shape)}`);
    const n = index.shape[0];
    if (!Number.isInteger(offset) || !Number.isInteger(rows) || offset < 0 || rows < 0 || offset + rows > n) {
      fail('gather', `window offset ${offset}, rows ${rows} does not fit in an index of ${n} entries`);
    }
    return { shape: [rows, ...x.shape.slice(1)], dtype: x.dtype };
  },
  saves: { inputs: [1], output: false },
  fwd([x, index], y, { offset, rows }) {
    const cols = sizeOf(x.shape.slice(1));
    for (let i = 0; i < rows; i++) {
      const r = index.data[offset + i];
      y.data.set(x.data.subarray(r * cols, (r + 1) * cols), i * cols);
    }
  },
  vjp({ x: [, index], xMeta: [x], dy, attrs: { offset, rows } }, _wrt, dx) {
    const cols = sizeOf(x.shape.slice(1));
    for (let i = 0; i < rows; i++) {
      const r = index!.data[offset + i];
      for (let c = 0; c < cols; c++) dx.data[r * cols + c] += dy.data[i * cols + c];
    }
  },
  validates: {
    input: 1,
    check(index, [x], { offset, rows }) {
      for (let k = offset; k < offset + rows; k++) {
        if (!(index[k] >= 0 && index[k] < x.shape[0])) fail('gather', `index ${index[k]} at position ${k} is out of range for ${x.shape[0]} rows`);
      }
    },
  },
  gpu: {
    // An index out of range is reported (validates) and its row is 0.
    fwd: ([x], y, { offset, rows }) => ({
      threads: sizeOf(y.shape),
      params: new Params().u32(sizeOf(y.shape), sizeOf(x.shape.slice(1)), offset, rows, x.shape[0]),
    }),
    vjp: ([x], _y, _wrt, dx, { offset, rows }) => ({
      threads: sizeOf(dx.shape),
      params: new Params().u32(sizeOf(dx.shape), sizeOf(x.shape.slice(1)), offset, rows, x.shape[0]),
    }),
  },
  test: {
    cases: [
      { shapes: [[5, 3], [4]], attrs: { offset: 0, rows: 4 }, classes: 5 },
      { shapes: [[7, 2, 3], [9]], attrs: { offset: 2, rows: 6 }, classes: 7 }, // repeats add up in dx
      { shapes: [[4], [3]], attrs: { offset: 1, rows: 2 }, classes: 4 },
      { shapes: [[3, 0], [2]], attrs: { offset: 0, rows: 2 }, classes: 3 },
      { shapes: [[3, 2], [0]], attrs: { offset: 0, rows: 0 }, classes: 3 },
    ],
    special: [
      {
        inputs: [
          [
            [NaN, -0],
            [Infinity, -Infinity],
          ],
          [1, 0, 1],
        ],
        attrs: { offset: 0, rows: 3 },
        y: [
          [Infinity, -Infinity],
          [NaN, -0],
          [Infinity, -Infinity],
        ],
        dy: [
          [1, -0],
          [NaN, Infinity],
          [-Infinity, 2],
        ],
        dx: [
          [
            [NaN, Infinity],
            [-Infinity, 2],
          ],
          null,
        ],
      },
      {
        inputs: [
          [[1], [2], [3]],
          [2, 0, 9],
        ],
        attrs: { offset: 1, rows: 1 },
        y: [[1]],
        dy: [[-0]],
        dx: [[[0], [0], [0]], null],
      },
    ],
    golden: [
      {
        inputs: [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          [2, 0, 2],
        ],
        attrs: { offset: 0, rows: 3 },
        y: [
          [5, 6],
          [1, 2],
          [5, 6],
        ],
      },
      {
        inputs: [
          [10, 20, 30],
          [0, 1, 2, 1],
        ],
        attrs: { offset: 2, rows: 2 },
        y: [30, 20],
      },
    ],
  },
} satisfies OpSpec<GatherAttrs>);
