import { reduceCases, reduceGpu, reduceIndex, reduceInfer, type ReduceAttrs } from './reduce.ts';
import type { OpSpec } from './spec.ts';

/** y = sum of x over axes; dx = dy broadcast back over the summed axes. A sum over nothing is 0. */
export const sum: OpSpec<ReduceAttrs> = {
  name: 'sum',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => reduceInfer('sum', x, attrs),
  saves: { inputs: [], output: false },
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
      { inputs: [[[1, 2, 3], [4, 5, 6]]], attrs: { axes: [1], keepdims: false }, y: [6, 15] },
      { inputs: [[[1, 2, 3], [4, 5, 6]]], attrs: { axes: [0], keepdims: true }, y: [[5, 7, 9]] },
      { inputs: [[[1, 2], [3, 4]]], attrs: { axes: [0, 1], keepdims: false }, y: 10 },
    ],
  },
};
