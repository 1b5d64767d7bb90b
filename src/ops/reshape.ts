import { fail } from '../errors.ts';
import { formatShape, sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec } from './spec.ts';

export interface ReshapeAttrs {
  readonly shape: readonly number[];
}

/** y = x with a new shape and the same row-major order; dx = dy reshaped back. */
export const reshape: OpSpec<ReshapeAttrs> = {
  name: 'reshape',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { shape }) {
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || sizeOf(shape) !== sizeOf(x.shape)) {
      fail('reshape', `cannot reshape x ${formatShape(x.shape)} (${sizeOf(x.shape)} elements) to ${formatShape(shape)}`);
    }
    return { shape, dtype: x.dtype };
  },
  saves: { inputs: [], output: false },
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
  test: {
    cases: [
      { shapes: [[3, 4]], attrs: { shape: [12] } },
      { shapes: [[2, 3, 4]], attrs: { shape: [6, 1, 4] } },
      { shapes: [[]], attrs: { shape: [1, 1] } },
      { shapes: [[0, 3]], attrs: { shape: [3, 0] } },
    ],
    golden: [{ inputs: [[1, 2, 3, 4, 5, 6]], attrs: { shape: [2, 3] }, y: [[1, 2, 3], [4, 5, 6]] }],
    // a copy: every value, -0 included, moves unchanged both ways
    special: [
      {
        inputs: [[NaN, Infinity, -Infinity, -0]],
        attrs: { shape: [2, 2] },
        y: [[NaN, Infinity], [-Infinity, -0]],
        dy: [[-0, NaN], [-Infinity, Infinity]],
        dx: [[-0, NaN, -Infinity, Infinity]],
      },
    ],
  },
};
