import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { reduceAttrs, reduceCases, reduceGpu, reduceIndex, reduceInfer, type ReduceAttrs } from './reduce.ts';
import type { OpSpec, Call } from './spec.ts';

/** The special-value tables reduce along axis 1. */
const axis1: ReduceAttrs = { axes: [1], keepdims: false };

/** y = sum of x over axes; dx = dy broadcast back over the summed axes. A sum over nothing is 0. */
export const sum = defineOp({
  name: 'sum',
  call: (x: Tensor, axis?: number | readonly number[], keepdims = false): Call<ReduceAttrs> => ({ inputs: [x], attrs: reduceAttrs('sum', x, axis, keepdims) }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => reduceInfer('sum', x, attrs),
  saves: { inputs: [], output: false },
  fusible: 'prologue', // its forward reads x through load() (shaders/lib/axes.wgsl)
  fwd([x], y, { axes }) {
    const to = reduceIndex(x.shape, axes);
    const acc = new Float64Array(y.data.length); // NOTE: accumulate in f64 so the reference beats any f32 order
    for (let i = 0; i < to.length; i++) acc[to[i]] += x.data[i];
    y.data.set(acc);
  },
  vjp({ xMeta: [x], dy, attrs: { axes } }, _wrt, dx) {
    const to = reduceIndex(x.shape, axes);
    for (let i = 0; i < to.length; i++) dx.data[i] = dy.data[to[i]];
  },
  gpu: reduceGpu('sum'),
  test: {
    cases: [...reduceCases, { shapes: [[0, 3]], attrs: { axes: [0], keepdims: false } }],
    golden: [
      {
        inputs: [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { axes: [1], keepdims: false },
        y: [6, 15],
      },
      {
        inputs: [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { axes: [0], keepdims: true },
        y: [[5, 7, 9]],
      },
      {
        inputs: [
          [
            [1, 2],
            [3, 4],
          ],
        ],
        attrs: { axes: [0, 1], keepdims: false },
        y: 10,
      },
    ],
    // torch.sum: NaN and Inf propagate, Inf - Inf is NaN, a sum starts at +0 (so -0 + -0 = +0); dx = dy copied
    special: [
      { inputs: [[[NaN, 1]]], attrs: axis1, y: [NaN], dy: [1], dx: [[[1, 1]]] },
      { inputs: [[[Infinity, 1]]], attrs: axis1, y: [Infinity], dy: [NaN], dx: [[[NaN, NaN]]] },
      { inputs: [[[Infinity, -Infinity]]], attrs: axis1, y: [NaN], dy: [Infinity], dx: [[[Infinity, Infinity]]] },
      { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [-Infinity], dy: [-0], dx: [[[-0, -0]]] },
      { inputs: [[[-0, -0]]], attrs: axis1, y: [0], dy: [-1], dx: [[[-1, -1]]] },
      {
        inputs: [
          [
            [0, -0],
            [-0, 2],
          ],
        ],
        attrs: axis1,
        y: [0, 2],
        dy: [2, -Infinity],
        dx: [
          [
            [2, 2],
            [-Infinity, -Infinity],
          ],
        ],
      },
    ],
  },
} satisfies OpSpec<ReduceAttrs>);
