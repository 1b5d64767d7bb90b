import { sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec } from './spec.ts';

type Attrs = Record<string, never>;

/** y = sum of x^2 over all elements (L2 regularisation, as in the lecture's sum_k W_k^2); dx = 2 x dy. */
export const l2: OpSpec<Attrs> = {
  name: 'l2',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x]) => ({ shape: [], dtype: x.dtype }),
  saves: { inputs: [0], output: false },
  fwd([x], y) {
    let s = 0;
    for (let i = 0; i < x.data.length; i++) s += x.data[i] * x.data[i];
    y.data[0] = s;
  },
  vjp({ x: [x], dy }, _wrt, dx) {
    const g = 2 * dy.data[0]; // d(x^2) = 2x dx
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = g * x!.data[i];
  },
  gpu: {
    fwd: ([x]) => ({ groups: 1, params: new Params().u32(sizeOf(x.shape)) }),
    vjp: ([x]) => ({ threads: sizeOf(x.shape), params: new Params().u32(sizeOf(x.shape)) }),
  },
  test: {
    cases: [{ shapes: [[]] }, { shapes: [[7]] }, { shapes: [[5, 13]] }, { shapes: [[0, 3]] }],
    golden: [{ inputs: [[[1, -2], [3, 0.5]]], y: 14.25 }],
  },
};
