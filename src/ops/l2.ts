import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

type Attrs = Record<string, never>;

/** y = sum of x^2 over all elements (L2 regularisation, as in the lecture's sum_k W_k^2); dx = 2 x dy. */
export const l2 = defineOp({
  name: 'l2',
  call: (x: Tensor): Call<Attrs> => ({ inputs: [x], attrs: {} }),
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
    golden: [
      {
        inputs: [
          [
            [1, -2],
            [3, 0.5],
          ],
        ],
        y: 14.25,
      },
    ],
    // (x ** 2).sum() in PyTorch: NaN and Inf propagate, (-0)^2 = +0; dx = dy (2 x), so Inf * 0 is NaN
    special: [
      { inputs: [[1, Infinity]], y: Infinity, dy: 1, dx: [[2, Infinity]] },
      { inputs: [[-0, NaN]], y: NaN, dy: 1, dx: [[-0, NaN]] },
      { inputs: [[-0, -0]], y: 0, dy: 2, dx: [[-0, -0]] },
      { inputs: [[1, -2]], y: 5, dy: NaN, dx: [[NaN, NaN]] },
      { inputs: [[0, -0, -1]], y: 1, dy: Infinity, dx: [[NaN, NaN, -Infinity]] },
      { inputs: [[-Infinity, 0]], y: Infinity, dy: -0, dx: [[NaN, -0]] },
    ],
  },
} satisfies OpSpec<Attrs>);
