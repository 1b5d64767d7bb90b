import { fail } from '../errors.ts';
import { sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { defineOp } from './define.ts';
import { unarySpecial } from './elementwise.ts';
import { Params } from './params.ts';
import type { Call, OpSpec, SpecialCase } from './spec.ts';

export interface LeakyReluAttrs {
  /** The slope for x <= 0 (any finite number; 0 makes this relu with a NaN at -Infinity, as PyTorch). */
  readonly negativeSlope: number;
}

/**
 * y = x where x > 0, else negativeSlope x; dx = dy where x > 0, else negativeSlope dy (PyTorch's
 * leaky_relu_backward: x = 0 and a NaN x take the slope, and the slope branch is a product, so a NaN
 * or infinite dy stays NaN or infinite there). -0 stays -0; -Infinity gives -Infinity (NaN for slope 0).
 */
export const leakyRelu = defineOp({
  name: 'leaky_relu',
  call: (x: Tensor, negativeSlope = 0.01): Call<LeakyReluAttrs> => ({ inputs: [x], attrs: { negativeSlope } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { negativeSlope }) {
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) {
      fail('leaky_relu', `negativeSlope must be a finite number, got ${String(negativeSlope)}`);
    }
    return { shape: x.shape, dtype: x.dtype };
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, { negativeSlope: s }) {
    for (let i = 0; i < y.data.length; i++) y.data[i] = x.data[i] > 0 ? x.data[i] : x.data[i] * s;
  },
  vjp({ x: [x], dy, attrs: { negativeSlope: s } }, _wrt, dx) {
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = x!.data[i] > 0 ? dy.data[i] : dy.data[i] * s;
  },
  gpu: {
    fwd: (_x, y, { negativeSlope }) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)).f32(negativeSlope) }),
    vjp: (_x, _y, _wrt, dx, { negativeSlope }) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)).f32(negativeSlope) }),
  },
  test: {
    args: [0.01],
    cases: [
      { shapes: [[]], attrs: { negativeSlope: 0.01 } },
      { shapes: [[7]], attrs: { negativeSlope: 0.2 } },
      { shapes: [[5, 13]], attrs: { negativeSlope: 0.01 } },
      { shapes: [[2, 3, 4]], attrs: { negativeSlope: -0.5 } },
      { shapes: [[3, 5]], attrs: { negativeSlope: 0 } },
      { shapes: [[4]], attrs: { negativeSlope: 1.5 } },
      { shapes: [[0, 4]], attrs: { negativeSlope: 0.01 } },
    ],
    golden: [
      { inputs: [[-2, -0.5, 0, 3]], attrs: { negativeSlope: 0.01 }, y: [-0.02, -0.005, 0, 3] },
      {
        inputs: [
          [
            [-1, 2],
            [4, -3],
          ],
        ],
        attrs: { negativeSlope: -0.5 },
        y: [
          [0.5, 2],
          [4, 1.5],
        ],
      },
    ],
    nearKink: ([x]) => x.data.some((v) => Math.abs(v) < 1e-3),
    special: [0.01, 0, -2].flatMap(leakySpecial),
  },
} satisfies OpSpec<LeakyReluAttrs>);

/**
 * Every special x against every special dy for one slope, from PyTorch's CPU kernels: forward
 * `a > 0 ? a : a * negval`, backward `self > 0 ? grad : grad * negval` (both in float32).
 */
function leakySpecial(negativeSlope: number): SpecialCase<LeakyReluAttrs>[] {
  const s = Math.fround(negativeSlope); // PyTorch casts the slope to the tensor's dtype
  const torch = { y: (x: number) => (x > 0 ? x : x * s), dx: (x: number, _y: number, dy: number) => (x > 0 ? dy : dy * s) };
  return unarySpecial(torch).map((c) => ({ ...c, attrs: { negativeSlope } }));
}
