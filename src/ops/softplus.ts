import { fail } from '../errors.ts';
import { sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { defineOp } from './define.ts';
import { unaryCases, unarySpecial } from './elementwise.ts';
import { Params } from './params.ts';
import type { Call, OpSpec, SpecialCase } from './spec.ts';

export interface SoftplusAttrs {
  /** Sharpness: y = log(1 + exp(beta x)) / beta; any finite nonzero number (PyTorch's default 1). */
  readonly beta: number;
  /** Where beta x exceeds it, y = x (PyTorch's default 20); Infinity never reverts to linear. */
  readonly threshold: number;
}

/**
 * y = x where beta x > threshold, else log(1 + exp(beta x)) / beta, as torch.nn.functional.softplus;
 * dx = dy where beta x > threshold, else dy sigmoid(beta x). Computed stably, as
 * (max(t, 0) + log1p(exp(-|t|))) / beta with t = beta x: exp never overflows, where PyTorch's float32
 * log1p(exp(t)) becomes Infinity past t = 88.7 (and its dx NaN) when the threshold is above that.
 */
export const softplus = defineOp({
  name: 'softplus',
  call: (x: Tensor, beta = 1, threshold = 20): Call<SoftplusAttrs> => ({ inputs: [x], attrs: { beta, threshold } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { beta, threshold }) {
    if (typeof beta !== 'number' || !Number.isFinite(beta) || beta === 0) fail('softplus', `beta must be a finite nonzero number, got ${String(beta)}`);
    if (typeof threshold !== 'number' || Number.isNaN(threshold)) fail('softplus', `threshold must be a number, got ${String(threshold)}`);
    return { shape: x.shape, dtype: x.dtype };
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, { beta, threshold }) {
    for (let i = 0; i < y.data.length; i++) {
      const v = x.data[i];
      const t = v * beta;
      // log(1 + e^t) = max(t, 0) + log(1 + e^-|t|): the exponential is at most 1 (NaN stays NaN)
      y.data[i] = t > threshold ? v : (Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)))) / beta;
    }
  },
  vjp({ x: [x], dy, attrs: { beta, threshold } }, _wrt, dx) {
    for (let i = 0; i < dx.data.length; i++) {
      const t = x!.data[i] * beta;
      dx.data[i] = t > threshold ? dy.data[i] : dy.data[i] * sigmoid(t); // d/dx log(1 + e^(beta x)) / beta = sigmoid(beta x)
    }
  },
  gpu: {
    fwd: (_x, y, { beta, threshold }) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)).f32(beta, threshold) }),
    vjp: (_x, _y, _wrt, dx, { beta, threshold }) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)).f32(beta, threshold) }),
  },
  test: {
    args: [1, 20],
    cases: [
      ...unaryCases.map((c) => ({ ...c, attrs: { beta: 1, threshold: 20 } })),
      { shapes: [[5, 13]], attrs: { beta: 2, threshold: 1 } }, // both branches (y jumps at beta x = threshold)
      { shapes: [[3, 5]], attrs: { beta: 0.5, threshold: 0 } },
      { shapes: [[6]], attrs: { beta: -1, threshold: 20 } },
      { shapes: [[4, 5]], attrs: { beta: 30, threshold: 1000 } }, // beta x up to 120: float32 exp(120) overflows
    ],
    golden: [
      { inputs: [[0, 1, -1, 2]], attrs: { beta: 1, threshold: 20 }, y: [Math.LN2, 1.3132616875182228, 0.31326168751822286, 2.1269280110429727] },
      { inputs: [[0.25, 1, 30]], attrs: { beta: 2, threshold: 1 }, y: [0.48703849209005334, 1, 30] },
      { inputs: [[-200, 100]], attrs: { beta: 1, threshold: 1000 }, y: [0, 100] }, // stable: no overflow
    ],
    domain: [[-4, 4]],
    nearKink: ([x], { beta, threshold }) => x.data.some((v) => Math.abs(v * beta - threshold) < 1e-3),
    special: [
      ...softplusSpecial({ beta: 1, threshold: 20 }),
      ...softplusSpecial({ beta: 2, threshold: 1 }),
      ...softplusSpecial({ beta: -1, threshold: 20 }),
      {
        // Past float32's exp range and below the threshold, PyTorch gives y = Infinity and dx = NaN.
        inputs: [[Infinity, 100, 1000, -1000, 88, 90]],
        attrs: { beta: 1, threshold: Infinity },
        y: [Infinity, 100, 1000, 0, 88, 90],
        dy: [1, 1, -2, 3, 1, -1],
        dx: [[1, 1, -2, 0, 1, -1]],
        elementwise: true,
        exception:
          "beta x above 88.7 (float32's exp overflow) and not above the threshold: PyTorch's log1p(exp(t)) is Infinity and its dx NaN; chainrule gives the finite limits x and dy (at x = Infinity too)",
      },
    ],
  },
} satisfies OpSpec<SoftplusAttrs>);

/** The logistic function, without overflow: e^t / (1 + e^t) for t < 0, 1 / (1 + e^-t) else. */
function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/**
 * Every special x against every special dy, from PyTorch's CPU kernels (softplus_kernel and
 * softplus_backward_kernel): y = t > threshold ? x : log1p(exp(t)) / beta, dx = t > threshold ? dy :
 * dy z / (z + 1) with t = beta x, z = exp(t), evaluated in IEEE arithmetic (these x never overflow).
 */
function softplusSpecial(attrs: SoftplusAttrs): SpecialCase<SoftplusAttrs>[] {
  const { beta, threshold } = attrs;
  const torch = {
    y: (x: number) => (x * beta > threshold ? x : Math.log1p(Math.exp(x * beta)) / beta),
    dx: (x: number, _y: number, dy: number) => {
      const z = Math.exp(x * beta);
      return x * beta > threshold ? dy : (dy * z) / (z + 1);
    },
  };
  return unarySpecial(torch).map((c) => ({ ...c, attrs }));
}
