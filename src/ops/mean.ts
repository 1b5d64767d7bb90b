import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { reduceAttrs, reduceCases, reducedCount, reduceGpu, reduceIndex, reduceInfer, type ReduceAttrs } from './reduce.ts';
import type { OpSpec, Call } from './spec.ts';

/** The special-value tables reduce along axis 1. */
const axis1: ReduceAttrs = { axes: [1], keepdims: false };

/** y = mean of x over axes; dx = dy / n broadcast back (n = elements averaged). Empty axes give NaN, as in PyTorch. */
export const mean = defineOp({
  name: 'mean',
  call: (x: Tensor, axis?: number | readonly number[], keepdims = false): Call<ReduceAttrs> => ({ inputs: [x], attrs: reduceAttrs('mean', x, axis, keepdims) }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => reduceInfer('mean', x, attrs),
  saves: { inputs: [], output: false },
  fusible: 'prologue', // its forward reads x through load() (shaders/lib/axes.wgsl)
  fwd([x], y, { axes }) {
    const to = reduceIndex(x.shape, axes);
    const n = reducedCount(x.shape, axes);
    const acc = new Float64Array(y.data.length);
    for (let i = 0; i < to.length; i++) acc[to[i]] += x.data[i];
    for (let j = 0; j < acc.length; j++) y.data[j] = acc[j] / n;
  },
  vjp({ xMeta: [x], dy, attrs: { axes } }, _wrt, dx) {
    const to = reduceIndex(x.shape, axes);
    const n = reducedCount(x.shape, axes);
    for (let i = 0; i < to.length; i++) dx.data[i] = dy.data[to[i]] / n;
  },
  gpu: reduceGpu('mean'),
  test: {
    cases: reduceCases,
    golden: [
      {
        inputs: [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { axes: [1], keepdims: false },
        y: [2, 5],
      },
      {
        inputs: [
          [
            [1, 2],
            [3, 6],
          ],
        ],
        attrs: { axes: [0, 1], keepdims: false },
        y: 3,
      },
    ],
    // torch.mean: as sum, over n; the mean of nothing is NaN; dx = dy / n
    special: [
      { inputs: [[[NaN, 1]]], attrs: axis1, y: [NaN], dy: [1], dx: [[[0.5, 0.5]]] },
      { inputs: [[[Infinity, 1]]], attrs: axis1, y: [Infinity], dy: [NaN], dx: [[[NaN, NaN]]] },
      { inputs: [[[Infinity, -Infinity]]], attrs: axis1, y: [NaN], dy: [Infinity], dx: [[[Infinity, Infinity]]] },
      { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [-Infinity], dy: [-0], dx: [[[-0, -0]]] },
      { inputs: [[[-0, -0]]], attrs: axis1, y: [0], dy: [-1], dx: [[[-0.5, -0.5]]] },
      {
        inputs: [
          [
            [0, -0],
            [-0, 2],
          ],
        ],
        attrs: axis1,
        y: [0, 1],
        dy: [2, -Infinity],
        dx: [
          [
            [1, 1],
            [-Infinity, -Infinity],
          ],
        ],
      },
      { inputs: [[]], attrs: { axes: [0], keepdims: false }, y: NaN, dy: 1, dx: [[]] },
    ],
  },
} satisfies OpSpec<ReduceAttrs>);
