import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, SpecialCase, Call } from './spec.ts';

export interface PowAttrs {
  readonly p: number;
}

/**
 * y = x^p for a scalar exponent p, as PyTorch's pow(Tensor, Scalar): C's pow (x^0 = 1 even for NaN; a
 * negative x with a non-integer p gives NaN) except p = 0.5 and -0.5, which are sqrt and 1 / sqrt, so
 * (-0)^0.5 = -0 and (-Infinity)^0.5 = NaN. dx = dy (p x^(p-1)), and 0 when p = 0 (even for a NaN dy).
 */
export const pow = defineOp({
  name: 'pow',
  call: (x: Tensor, p: number): Call<PowAttrs> => ({ inputs: [x], attrs: { p } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { p }) {
    if (typeof p !== 'number' || !Number.isFinite(p)) fail('pow', `exponent must be a finite number, got ${p}`);
    return { shape: x.shape, dtype: x.dtype };
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, { p }) {
    for (let i = 0; i < y.data.length; i++) y.data[i] = power(x.data[i], p);
  },
  vjp({ x: [x], dy, attrs: { p } }, _wrt, dx) {
    // d(x^p) = p x^(p-1) dx; p = 0 is constant (avoids 0 * inf at x = 0, and a NaN dy)
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = p === 0 ? 0 : dy.data[i] * (p * power(x!.data[i], p - 1));
  },
  gpu: {
    fwd: (_x, y, { p }) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)).f32(p) }),
    vjp: (_x, _y, _wrt, dx, { p }) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)).f32(p) }),
  },
  test: {
    args: [2],
    cases: [
      { shapes: [[7]], attrs: { p: 2 } },
      { shapes: [[3, 5]], attrs: { p: 3 } },
      { shapes: [[4]], attrs: { p: 0.5 } },
      { shapes: [[2, 3]], attrs: { p: -1.5 } },
      { shapes: [[0]], attrs: { p: 2 } },
    ],
    golden: [
      { inputs: [[2, -3, 0.5]], attrs: { p: 2 }, y: [4, 9, 0.25] },
      { inputs: [[4, 9]], attrs: { p: 0.5 }, y: [2, 3] },
    ],
    domain: [[0.2, 2.5]],
    special: powSpecial(),
  },
} satisfies OpSpec<PowAttrs>);

/** x^p with PyTorch's special exponents; Math.pow is C's pow for a finite p. */
function power(x: number, p: number): number {
  if (p === 0.5) return Math.sqrt(x);
  if (p === -0.5) return 1 / Math.sqrt(x);
  return Math.pow(x, p);
}

/**
 * PyTorch's pow(x, p) and its VJP for dy = 1, p x^(p-1), over x = NaN, Inf, -Inf, 0, -0, 1, -1, 2, by
 * hand from C's pow rules (x^p for finite p) and PyTorch's sqrt / rsqrt / reciprocal fast paths; then
 * p = 0 and p = 2 against special dy: p = 0 gives zeros whatever dy is (zeros_like), p = 2 multiplies.
 */
function powSpecial(): SpecialCase<PowAttrs>[] {
  const xs = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2];
  const [inf, r2] = [Infinity, Math.SQRT2];
  const rows: [p: number, y: number[], dx: number[]][] = [
    [0, [1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]],
    [1, [NaN, inf, -inf, 0, -0, 1, -1, 2], [1, 1, 1, 1, 1, 1, 1, 1]], // x^0 = 1, NaN too
    [2, [NaN, inf, inf, 0, 0, 1, 1, 4], [NaN, inf, -inf, 0, -0, 2, -2, 4]],
    [3, [NaN, inf, -inf, 0, -0, 1, -1, 8], [NaN, inf, inf, 0, 0, 3, 3, 12]],
    [0.5, [NaN, inf, NaN, 0, -0, 1, NaN, r2], [NaN, 0, NaN, inf, -inf, 0.5, NaN, 0.5 / r2]], // sqrt; 0.5 / sqrt
    [-0.5, [NaN, 0, NaN, inf, -inf, 1, NaN, 1 / r2], [NaN, -0, -0, -inf, -inf, -0.5, NaN, -0.25 / r2]], // 1 / sqrt; C's x^-1.5
    [-1, [NaN, 0, -0, inf, -inf, 1, -1, 0.5], [NaN, -0, -0, -inf, -inf, -1, -1, -0.25]],
    [-2, [NaN, 0, 0, inf, inf, 1, 1, 0.25], [NaN, -0, 0, -inf, inf, -2, 2, -0.25]],
    [1.5, [NaN, inf, inf, 0, 0, 1, NaN, 2 * r2], [NaN, inf, NaN, 0, -0, 1.5, NaN, 1.5 * r2]], // dx: 1.5 sqrt(x)
    [2.5, [NaN, inf, inf, 0, 0, 1, NaN, 4 * r2], [NaN, inf, inf, 0, 0, 2.5, NaN, 5 * r2]],
    [-1.5, [NaN, 0, 0, inf, inf, 1, NaN, 0.5 / r2], [NaN, -0, -0, -inf, -inf, -1.5, NaN, -0.375 / r2]],
  ];
  const ones = xs.map(() => 1);
  const dys = [NaN, inf, -inf, 0, -0, 1, -1, 2];
  return [
    ...rows.map(([p, y, dx]) => ({ inputs: [xs], attrs: { p }, y, dy: ones, dx: [dx], elementwise: true })),
    { inputs: [[2, NaN, 0, -1, 2, 2, 2, 2]], attrs: { p: 0 }, y: ones, dy: dys, dx: [[0, 0, 0, 0, 0, 0, 0, 0]], elementwise: true },
    {
      inputs: [[2, 2, 2, 2, 2, -0, 0, -inf]],
      attrs: { p: 2 },
      y: [4, 4, 4, 4, 4, 0, 0, inf],
      dy: dys,
      dx: [[NaN, inf, -inf, 0, -0, -0, -0, -inf]],
      elementwise: true,
    },
  ];
}
