import { fail } from '../errors.ts';
import { sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec } from './spec.ts';

export interface PowAttrs {
  readonly p: number;
}

/** y = x^p for a scalar exponent p; dx = p x^(p-1) dy. Non-integer p needs x > 0 (else NaN, as Math.pow). */
export const pow: OpSpec<PowAttrs> = {
  name: 'pow',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { p }) {
    if (typeof p !== 'number' || !Number.isFinite(p)) fail('pow', `exponent must be a finite number, got ${p}`);
    return { shape: x.shape, dtype: x.dtype };
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, { p }) {
    for (let i = 0; i < y.data.length; i++) y.data[i] = Math.pow(x.data[i], p);
  },
  vjp({ x: [x], dy, attrs: { p } }, _wrt, dx) {
    // d(x^p) = p x^(p-1) dx; p = 0 is constant (avoids 0 * inf at x = 0)
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = p === 0 ? 0 : dy.data[i] * p * Math.pow(x!.data[i], p - 1);
  },
  gpu: {
    fwd: (_x, y, { p }) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)).f32(p) }),
    vjp: (_x, _y, _wrt, dx, { p }) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)).f32(p) }),
  },
  test: {
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
  },
};
