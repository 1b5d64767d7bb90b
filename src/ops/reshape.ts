import { defineOp, ndimOf } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { formatShape, sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

export interface ReshapeAttrs {
  readonly shape: readonly number[];
}

/**
 * The kernels of an op whose output is its input's values in the same row-major order under another
 * shape (reshape, flatten): copies on the CPU and in WGSL; the executor makes them views and runs none.
 */
export const viewKernels = {
  saves: { inputs: [], output: false },
  identity: { fwd: true, vjp: [0] }, // same values in the same order: a view
  fwd([x], y) {
    y.data.set(x.data);
  },
  vjp({ dy }, _wrt, dx) {
    dx.data.set(dy.data);
  },
  gpu: {
    fwd: (_x, y) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)) }),
    vjp: (_x, _y, _wrt, dx) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)) }),
  },
} satisfies Pick<OpSpec<unknown>, 'saves' | 'identity' | 'fwd' | 'vjp' | 'gpu'>;

/** y = x with a new shape and the same row-major order; dx = dy reshaped back. */
export const reshape = defineOp({
  name: 'reshape',
  // One dimension may be -1: it is inferred from the others.
  call(x: Tensor, shape: readonly number[]): Call<ReshapeAttrs> {
    ndimOf('reshape', x);
    if (!Array.isArray(shape)) fail('reshape', `shape must be an array, got ${JSON.stringify(shape)}`);
    const unknown = shape.filter((d) => d === -1).length;
    if (unknown > 1) fail('reshape', `only one dimension can be -1, got ${formatShape(shape)}`);
    if (unknown === 1) {
      const known = sizeOf(shape.filter((d) => d !== -1));
      const n = sizeOf(x.shape);
      if (known === 0 || n % known !== 0) fail('reshape', `cannot reshape x ${formatShape(x.shape)} (${n} elements) to ${formatShape(shape)}`);
      shape = shape.map((d) => (d === -1 ? n / known : d));
    }
    return { inputs: [x], attrs: { shape: [...shape] } };
  },
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { shape }) {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(shape) !== sizeOf(x.shape)) {
      fail('reshape', `cannot reshape x ${formatShape(x.shape)} (${sizeOf(x.shape)} elements) to ${formatShape(shape)}`);
    }
    return { shape, dtype: x.dtype };
  },
  ...viewKernels,
  test: {
    args: [[-1]],
    cases: [
      { shapes: [[3, 4]], attrs: { shape: [12] } },
      { shapes: [[2, 3, 4]], attrs: { shape: [6, 1, 4] } },
      { shapes: [[]], attrs: { shape: [1, 1] } },
      { shapes: [[0, 3]], attrs: { shape: [3, 0] } },
    ],
    golden: [
      {
        inputs: [[1, 2, 3, 4, 5, 6]],
        attrs: { shape: [2, 3] },
        y: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      },
    ],
    // a copy: every value, -0 included, moves unchanged both ways
    special: [
      {
        inputs: [[NaN, Infinity, -Infinity, -0]],
        attrs: { shape: [2, 2] },
        y: [
          [NaN, Infinity],
          [-Infinity, -0],
        ],
        dy: [
          [-0, NaN],
          [-Infinity, Infinity],
        ],
        dx: [[-0, NaN, -Infinity, Infinity]],
      },
    ],
  },
} satisfies OpSpec<ReshapeAttrs>);
