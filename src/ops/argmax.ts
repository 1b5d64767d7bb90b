import { fail } from '../errors.ts';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { defineOp } from './define.ts';
import { Params, WORKGROUP } from './params.ts';
import { isSerial } from './reduce.ts';
import type { Arg, Call, OpSpec, SpecialCase } from './spec.ts';

export interface ArgmaxAttrs {
  /** The axis (negative counts from the end; 0 or -1 for a scalar), or null: the flattened tensor. */
  readonly axis: number | null;
  /** Keep the reduced axis as a 1 (null: every axis as a 1). */
  readonly keepdims: boolean;
}

/**
 * y = int32 position of the first maximum along an axis, as torch.argmax(x, dim, keepdim): NaN counts
 * as the maximum (the first NaN wins), ties go to the lowest position (-0 ties 0). axis null: the
 * position in the flattened tensor. An empty reduced axis is an error. Not differentiable.
 */
export const argmax = defineOp({
  name: 'argmax',
  // torch.argmax(input, dim=None, keepdim=False): no axis means the flattened tensor
  call: (x: Tensor, axis?: number | null, keepdims = false): Call<ArgmaxAttrs> => ({ inputs: [x], attrs: { axis: axis ?? null, keepdims } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: false }],
  infer([x], attrs) {
    if (typeof attrs.keepdims !== 'boolean') fail('argmax', `keepdims must be a boolean, got ${String(attrs.keepdims)}`);
    const { n, axis } = lanes(x.shape, attrs);
    if (n === 0) fail('argmax', `cannot take the argmax over an empty axis (x ${formatShape(x.shape)}, axis ${String(attrs.axis)})`);
    const shape = axis === null ? (attrs.keepdims ? x.shape.map(() => 1) : []) : x.shape.flatMap((d, i) => (i !== axis ? [d] : attrs.keepdims ? [1] : []));
    return { shape, dtype: 'int32' };
  },
  saves: { inputs: [], output: false },
  fwd([x], y, attrs) {
    const { outer, n, inner } = lanes(x.shape, attrs);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) y.data[o * inner + i] = firstMax(x, o * n * inner + i, n, inner);
    }
  },
  gpu: {
    fwd: ([x], _y, attrs) => {
      const { outer, n, inner } = lanes(x.shape, attrs);
      const serial = isSerial(outer * inner, n);
      return { groups: serial ? Math.ceil((outer * inner) / WORKGROUP) : outer * inner, params: new Params().u32(outer * inner, n, inner, serial ? 1 : 0) };
    },
  },
  test: {
    args: [0, false],
    cases: [
      { shapes: [[7]], attrs: { axis: 0, keepdims: false } },
      { shapes: [[5, 13]], attrs: { axis: 1, keepdims: false } },
      { shapes: [[5, 13]], attrs: { axis: -2, keepdims: true } },
      { shapes: [[2, 3, 4]], attrs: { axis: 0, keepdims: false } },
      { shapes: [[2, 3, 4]], attrs: { axis: 1, keepdims: true } },
      { shapes: [[2, 3, 4]], attrs: { axis: -1, keepdims: false } },
      { shapes: [[3, 1]], attrs: { axis: 1, keepdims: false } }, // a size-1 axis: all 0
      { shapes: [[0, 5]], attrs: { axis: 1, keepdims: true } }, // no lanes
      { shapes: [[]], attrs: { axis: 0, keepdims: false } }, // a scalar: 0
      { shapes: [[]], attrs: { axis: -1, keepdims: true } },
      { shapes: [[2, 1030]], attrs: { axis: 1, keepdims: false } }, // lanes over 1024: a workgroup tree on a GPU
      { shapes: [[6, 4]], attrs: { axis: null, keepdims: false } }, // the flattened tensor
      { shapes: [[3, 2, 5]], attrs: { axis: null, keepdims: true } },
    ],
    golden: [
      {
        inputs: [
          [
            [1, 7, 3],
            [6, 5, 6],
          ],
        ],
        attrs: { axis: 1, keepdims: false },
        y: [1, 0],
      }, // a tie: the first
      {
        inputs: [
          [
            [1, 7, 3],
            [6, 5, 6],
          ],
        ],
        attrs: { axis: -2, keepdims: true },
        y: [[1, 0, 1]],
      },
      {
        inputs: [
          [
            [1, 7, 3],
            [6, 5, 8],
          ],
        ],
        attrs: { axis: null, keepdims: false },
        y: 5,
      },
      { inputs: [4], attrs: { axis: 0, keepdims: false }, y: 0 },
    ],
    // The top two of a lane closer than this could swap in float32: the float32 check would then differ.
    nearKink: ([x], attrs) => nearTieInLane(x, attrs, 1e-5),
    special: argmaxSpecial(),
  },
} satisfies OpSpec<ArgmaxAttrs>);

/** The lanes of x along the axis (the normalised axis; null: one lane over the flattened tensor). */
function lanes(shape: Shape, { axis }: ArgmaxAttrs): { outer: number; n: number; inner: number; axis: number | null } {
  if (axis === null) return { outer: 1, n: sizeOf(shape), inner: 1, axis: null };
  // torch.argmax takes dim 0 or -1 of a scalar as its one element
  const k = normalizeAxis('argmax', axis, Math.max(shape.length, 1));
  if (shape.length === 0) return { outer: 1, n: 1, inner: 1, axis: k };
  return { outer: sizeOf(shape.slice(0, k)), n: shape[k], inner: sizeOf(shape.slice(k + 1)), axis: k };
}

/** Position of the first maximum of the lane at base (n elements, stride inner): a NaN, once seen, stays the maximum. */
function firstMax(x: Arg, base: number, n: number, inner: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) {
    const v = x.data[base + j * inner];
    const b = x.data[base + best * inner];
    if (!Number.isNaN(b) && (v > b || Number.isNaN(v))) best = j;
  }
  return best;
}

/** True if a lane's top two values are closer than gap. */
function nearTieInLane(x: Arg, attrs: ArgmaxAttrs, gap: number): boolean {
  const { outer, n, inner } = lanes(x.shape, attrs);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const lane = Array.from({ length: n }, (_, j) => x.data[o * n * inner + i + j * inner]).sort((p, q) => q - p);
      if (n > 1 && lane[0] - lane[1] < gap) return true;
    }
  }
  return false;
}

/**
 * torch.argmax (its greater_or_nan comparison): NaN beats numbers and the lower position wins ties,
 * so the first NaN, else the first maximum; ±0 tie; Infinity is a maximum like any number.
 */
function argmaxSpecial(): SpecialCase<ArgmaxAttrs>[] {
  const axis1: ArgmaxAttrs = { axis: 1, keepdims: false };
  const mixed = [
    [-Infinity, 5, 5],
    [NaN, Infinity, -Infinity],
  ];
  return [
    { inputs: [[[NaN, 1]]], attrs: axis1, y: [0] },
    { inputs: [[[1, NaN]]], attrs: axis1, y: [1] },
    { inputs: [[[NaN, NaN]]], attrs: axis1, y: [0] },
    { inputs: [[[1, NaN, 7, NaN, Infinity]]], attrs: axis1, y: [1] },
    { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [0] },
    { inputs: [[[1, Infinity, Infinity]]], attrs: axis1, y: [1] },
    { inputs: [[[-Infinity, -1, -0]]], attrs: axis1, y: [2] },
    {
      inputs: [
        [
          [-0, 0],
          [0, -0],
        ],
      ],
      attrs: axis1,
      y: [0, 0],
    },
    { inputs: [mixed], attrs: { axis: 0, keepdims: false }, y: [1, 1, 0] },
    { inputs: [mixed], attrs: { axis: -1, keepdims: true }, y: [[1], [0]] },
    { inputs: [mixed], attrs: { axis: null, keepdims: false }, y: 3 },
    { inputs: [NaN], attrs: { axis: 0, keepdims: false }, y: 0 },
  ];
}
