import { promoteFloat } from '../dtype.ts';
import { fail } from '../errors.ts';
import { broadcastIndex, broadcastStrides, formatShape, sameShape, sizeOf, type Shape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { defineOp } from './define.ts';
import { specialValues } from './elementwise.ts';
import { Params } from './params.ts';
import type { Call, Meta, OpSpec, SpecialCase } from './spec.ts';

type Attrs = Record<string, never>;

/**
 * y = a where cond != 0, else b, broadcasting all three (NumPy rules); cond is int32 or float (NaN
 * counts as true, ±0 as false), a and b float (y is float64 if either is). Not differentiable in
 * cond; da = dy where cond, else 0, db = dy elsewhere, at the output shape (autograd sums them back).
 */
export const where = defineOp({
  name: 'where',
  // torch.where(condition, input, other); a or b may be a number: a constant, typed by the graph layer as in binary ops
  call: (cond: Tensor, a: Tensor | number, b: Tensor | number): Call<Attrs> => ({ inputs: [cond, a, b], attrs: {} }),
  inputs: [
    { name: 'cond', dtype: 'any', differentiable: false },
    { name: 'a', dtype: 'float', differentiable: true, number: true },
    { name: 'b', dtype: 'float', differentiable: true, number: true },
  ],
  infer: ([cond, a, b]) => ({ shape: broadcast3(cond.shape, a.shape, b.shape), dtype: promoteFloat([a.dtype, b.dtype]) }),
  saves: { inputs: [0], output: false },
  fwd([cond, a, b], y) {
    const [ic, ia, ib] = [cond, a, b].map((x) => broadcastIndex(x.shape, y.shape));
    for (let i = 0; i < y.data.length; i++) y.data[i] = cond.data[ic[i]] !== 0 ? a.data[ia[i]] : b.data[ib[i]]; // NaN !== 0; -0 === 0
  },
  vjp({ x: [cond], dy, xMeta }, wrt, dx) {
    const ic = broadcastIndex(xMeta[0].shape, dx.shape);
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = (cond!.data[ic[i]] !== 0) === (wrt === 1) ? dy.data[i] : 0; // a gate: selects dy
  },
  vjpShape: (_x, y) => y.shape,
  gpu: {
    fwd: (x, y) => ({ threads: sizeOf(y.shape), params: whereParams(x, y.shape, 0) }),
    vjp: (x, _y, wrt, dx) => ({ threads: sizeOf(dx.shape), params: whereParams(x, dx.shape, wrt) }),
  },
  test: {
    cases: [
      { shapes: [[5], [5], [5]] },
      { shapes: [[], [], []] },
      { shapes: [[3, 4], [], [3, 4]] },
      { shapes: [[3, 1], [1, 4], []] },
      { shapes: [[2, 3, 5], [5], [3, 1]] },
      { shapes: [[1], [7, 13], [13]] },
      {
        shapes: [
          [4, 1, 3],
          [2, 1],
          [1, 1, 1],
        ],
      },
      {
        shapes: [
          [2, 1, 1, 3],
          [5, 1],
          [4, 1, 1],
        ],
      },
      { shapes: [[0, 3], [3], [1]] },
      { shapes: [[6], [6], [6]], ints: [0], classes: 3 }, // int32 conditions with zeros: both branches
      {
        shapes: [
          [3, 1],
          [1, 4],
          [3, 4],
        ],
        ints: [0],
        classes: 2,
      },
    ],
    golden: [
      {
        inputs: [
          [1, 0, -2, 0.5],
          [1, 2, 3, 4],
          [10, 20, 30, 40],
        ],
        y: [1, 20, 3, 4],
      },
      {
        inputs: [[[1], [0]], [5, 6], 0],
        y: [
          [5, 6],
          [0, 0],
        ],
      },
    ],
    // cond, a, b drawn in [-2, 2] are never 0 here: the tables below and golden examples cover both sides
    special: [
      ...whereSpecial(),
      {
        inputs: [[[NaN], [-0]], [Infinity, -0, 1], NaN],
        y: [
          [Infinity, -0, 1],
          [NaN, NaN, NaN],
        ],
        dy: [
          [1, NaN, -Infinity],
          [2, -0, Infinity],
        ],
        dx: [
          null,
          [
            [1, NaN, -Infinity],
            [0, 0, 0],
          ],
          [
            [0, 0, 0],
            [2, -0, Infinity],
          ],
        ],
      },
    ],
  },
} satisfies OpSpec<Attrs>);

/** NumPy broadcasting of three shapes, naming all three when they do not broadcast. */
function broadcast3(c: Shape, a: Shape, b: Shape): number[] {
  const n = Math.max(c.length, a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const sizes = new Set([c, a, b].map((s) => s[s.length - n + i] ?? 1).filter((d) => d !== 1));
    if (sizes.size > 1) fail('where', `shapes cannot be broadcast (cond ${formatShape(c)}, a ${formatShape(a)}, b ${formatShape(b)})`);
    return sizes.size ? [...sizes][0] : 1; // each axis: equal sizes, or 1 (a 0 against 1s gives 0)
  });
}

/**
 * Params of shaders/where.wgsl (struct P in lib/broadcast3): n, ndim, wrt, cint (cond is int32), the
 * trailing moduli of cond, a, b (0 if not a trailing block of the output), then the output shape and
 * the three operands' strides in output axes.
 */
function whereParams([c, a, b]: readonly Meta[], out: Shape, wrt: number): Params {
  return new Params()
    .u32(sizeOf(out), out.length, wrt, c.dtype === 'int32' ? 1 : 0, ...[c, a, b].map((x) => trailingModulus(x.shape, out)))
    .dims(out, 'where')
    .dims(broadcastStrides(c.shape, out), 'where')
    .dims(broadcastStrides(a.shape, out), 'where')
    .dims(broadcastStrides(b.shape, out), 'where');
}

/** n if x (leading 1s aside) equals the trailing axes of out, so that element i reads x[i % n]; else 0. */
function trailingModulus(x: Shape, out: Shape): number {
  const first = x.findIndex((d) => d !== 1);
  const core = first < 0 ? [] : x.slice(first);
  return sameShape(core, out.slice(out.length - core.length)) ? Math.max(sizeOf(core), 1) : 0;
}

/**
 * PyTorch's torch.where(cond != 0, a, b) over every (cond, a, b) of specialValues, dy running over
 * them too (with a): y copies a or b (NaN, ±Infinity and -0 unchanged); derivatives.yaml gives a
 * where(cond, grad, 0) and b where(cond, 0, grad), so a NaN or infinite dy reaches only the side cond picks.
 */
function whereSpecial(): SpecialCase<Attrs>[] {
  const v = specialValues;
  const rows = v.flatMap((b) => v.flatMap((a, k) => v.map((cond) => ({ cond, a, b, dy: v[k], picks: !(cond === 0) })))); // NaN picks a
  return [
    {
      inputs: [rows.map((r) => r.cond), rows.map((r) => r.a), rows.map((r) => r.b)],
      y: rows.map((r) => (r.picks ? r.a : r.b)),
      dy: rows.map((r) => r.dy),
      dx: [null, rows.map((r) => (r.picks ? r.dy : 0)), rows.map((r) => (r.picks ? 0 : r.dy))],
      elementwise: true,
    },
  ];
}
