import { fail } from '../errors.ts';
import { sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { defineOp } from './define.ts';
import { specialValues } from './elementwise.ts';
import { Params } from './params.ts';
import { ANY_ZERO, type Call, type Expected, type OpSpec, type SpecialCase } from './spec.ts';

export interface ClampAttrs {
  /** Lower bound; absent: none (as -Infinity). */
  readonly min?: number;
  /** Upper bound; absent: none (as Infinity). At least one bound is given. */
  readonly max?: number;
}

/**
 * y = min(max(x, min), max) as torch.clamp: NaN stays NaN, x is kept where it equals a bound, and
 * where min > max every number becomes max. dx = dy where min <= x <= max, else 0 (PyTorch's
 * clamp_backward mask: a bound itself passes dy, a NaN x gets 0, and so does every x if min > max).
 */
export const clamp = defineOp({
  name: 'clamp',
  // torch.clamp(x, min=None, max=None): null or undefined for an absent bound, as Python's None
  call: (x: Tensor, min?: number | null, max?: number | null): Call<ClampAttrs> => ({ inputs: [x], attrs: bounds(min, max) }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], attrs) {
    const { min, max } = attrs;
    if (min === undefined && max === undefined) fail('clamp', 'at least one of min and max must be given');
    for (const [name, v] of [
      ['min', min],
      ['max', max],
    ] as const) {
      if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) fail('clamp', `${name} must be a number, got ${String(v)}`);
    }
    return { shape: x.shape, dtype: x.dtype };
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, attrs) {
    const [lo, hi] = limits(attrs);
    for (let i = 0; i < y.data.length; i++) {
      const t = x.data[i] < lo ? lo : x.data[i]; // NaN stays
      y.data[i] = hi < t ? hi : t;
    }
  },
  vjp({ x: [x], dy, attrs }, _wrt, dx) {
    const [lo, hi] = limits(attrs);
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = x!.data[i] >= lo && x!.data[i] <= hi ? dy.data[i] : 0; // a gate: selects dy
  },
  gpu: {
    fwd: (_x, y, attrs) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)).f32(...limits(attrs)) }),
    vjp: (_x, _y, _wrt, dx, attrs) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)).f32(...limits(attrs)) }),
  },
  test: {
    args: [-0.5, 0.5],
    cases: [
      { shapes: [[]], attrs: { min: -0.5, max: 0.5 } },
      { shapes: [[7]], attrs: { min: -1 } },
      { shapes: [[5, 13]], attrs: { min: -1, max: 1 } },
      { shapes: [[2, 3, 4]], attrs: { max: 0.3 } },
      { shapes: [[3, 5]], attrs: { min: 1, max: -1 } }, // min > max: y = max, dx = 0
      { shapes: [[4, 3]], attrs: { min: 0.5, max: 1.5 } },
      { shapes: [[0, 4]], attrs: { min: 0, max: 1 } },
    ],
    golden: [
      { inputs: [[-2, -0.5, 0.5, 3]], attrs: { min: -1, max: 1 }, y: [-1, -0.5, 0.5, 1] },
      {
        inputs: [
          [
            [-1, 2],
            [0.5, -3],
          ],
        ],
        attrs: { min: 0 },
        y: [
          [0, 2],
          [0.5, 0],
        ],
      },
      { inputs: [[-1, 2]], attrs: { max: 0 }, y: [-1, 0] },
      { inputs: [[-5, 0.5, 5]], attrs: { min: 1, max: 0 }, y: [0, 0, 0] },
    ],
    nearKink: ([x], attrs) => x.data.some((v) => limits(attrs).some((b) => Math.abs(v - b) < 1e-3)),
    special: [{ min: -1, max: 1 }, { min: 0 }, { max: -0 }, { min: 2, max: -1 }, { min: -Infinity, max: 0 }, { min: 1, max: Infinity }].map(clampSpecial),
  },
} satisfies OpSpec<ClampAttrs>);

/** The attrs of a call: an absent bound (undefined or null) is left out. */
function bounds(min: number | null | undefined, max: number | null | undefined): ClampAttrs {
  return { ...(min == null ? {} : { min }), ...(max == null ? {} : { max }) };
}

/** The bounds as numbers: an absent one is -Infinity or Infinity, which clamps and masks nothing (NaN still gets 0). */
function limits({ min, max }: ClampAttrs): [number, number] {
  return [min ?? -Infinity, max ?? Infinity];
}

/**
 * Every special x against every special dy for one pair of bounds, from PyTorch's CPU kernels:
 * std::min(std::max(x, min), max) (NaN propagates) and clamp_backward's where(x >= min & x <= max,
 * grad, 0). A zero against a bound that is a zero of the other sign may come back with either sign
 * (ANY_ZERO): PyTorch's vectorised max/min (x86's maxps returns its second operand, ARM's fmax +0).
 */
function clampSpecial(attrs: ClampAttrs): SpecialCase<ClampAttrs> {
  const lo = attrs.min ?? -Infinity;
  const hi = attrs.max ?? Infinity;
  const y = (x: number): Expected => {
    if (Number.isNaN(x)) return NaN;
    const v = Math.min(Math.max(x, lo), hi);
    return v === 0 && x === 0 && !Object.is(v, x) ? ANY_ZERO : v;
  };
  const pairs = specialValues.flatMap((dy) => specialValues.map((x) => [x, dy] as const));
  return {
    inputs: [pairs.map(([x]) => x)],
    attrs,
    y: pairs.map(([x]) => y(x)),
    dy: pairs.map(([, dy]) => dy),
    dx: [pairs.map(([x, dy]) => (x >= lo && x <= hi ? dy : 0))],
    elementwise: true,
  };
}
