import { defineOp, ndimOf } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { normalizeAxis, formatShape, odometer, sizeOf, stridesOf, type Shape } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

export interface TransposeAttrs {
  /** y axis i is x axis perm[i]. */
  readonly perm: readonly number[];
}

/** y = x with axes permuted (y.shape[i] = x.shape[perm[i]]); dx = dy permuted back. */
export const transpose = defineOp({
  name: 'transpose',
  // NumPy's semantics: y.shape[i] = x.shape[axes[i]]; no axes reverses them.
  call(x: Tensor, axes?: readonly number[]): Call<TransposeAttrs> {
    const n = ndimOf('transpose', x);
    if (axes !== undefined && !Array.isArray(axes)) fail('transpose', `axes must be an array of axes, got ${JSON.stringify(axes)}`);
    const perm = axes === undefined ? Array.from({ length: n }, (_, i) => n - 1 - i) : axes.map((a) => normalizeAxis('transpose', a, n));
    return { inputs: [x], attrs: { perm } };
  },
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { perm }) {
    const n = x.shape.length;
    if (perm.length !== n || !perm.every((p) => Number.isInteger(p) && p >= 0 && p < n) || new Set(perm).size !== n) {
      fail('transpose', `axes ${JSON.stringify(perm)} are not a permutation of the ${n} axes of x ${formatShape(x.shape)}`);
    }
    return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  saves: { inputs: [], output: false },
  fwd([x], y, { perm }) {
    const from = gatherIndex(x.shape, perm);
    for (let i = 0; i < from.length; i++) y.data[i] = x.data[from[i]];
  },
  vjp({ xMeta: [x], dy, attrs: { perm } }, _wrt, dx) {
    const from = gatherIndex(x.shape, perm);
    for (let i = 0; i < from.length; i++) dx.data[from[i]] = dy.data[i]; // scatter back: a permutation has no overlaps
  },
  gpu: {
    // Each kernel gathers: the shape it writes, and per axis the stride of the tensor it reads.
    fwd: ([x], y, { perm }) => {
      const xs = stridesOf(x.shape);
      return {
        threads: sizeOf(y.shape),
        params: new Params()
          .u32(sizeOf(y.shape), perm.length)
          .dims(y.shape, 'transpose')
          .dims(
            perm.map((p) => xs[p]),
            'transpose',
          ),
      };
    },
    vjp: ([x], y, _wrt, _dx, { perm }) => {
      const ys = stridesOf(y.shape);
      const back = x.shape.map((_, a) => ys[perm.indexOf(a)]); // x axis a is y axis perm^-1[a]
      return { threads: sizeOf(x.shape), params: new Params().u32(sizeOf(x.shape), perm.length).dims(x.shape, 'transpose').dims(back, 'transpose') };
    },
  },
  test: {
    cases: [
      { shapes: [[3, 5]], attrs: { perm: [1, 0] } },
      { shapes: [[2, 3, 4]], attrs: { perm: [2, 0, 1] } },
      { shapes: [[1, 7]], attrs: { perm: [1, 0] } },
      { shapes: [[4]], attrs: { perm: [0] } },
      { shapes: [[0, 2]], attrs: { perm: [1, 0] } },
    ],
    golden: [
      {
        inputs: [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { perm: [1, 0] },
        y: [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
      },
    ],
    // a copy: every value, -0 included, moves unchanged both ways
    special: [
      {
        inputs: [
          [
            [NaN, Infinity, -0],
            [-Infinity, 0, 1],
          ],
        ],
        attrs: { perm: [1, 0] },
        y: [
          [NaN, -Infinity],
          [Infinity, 0],
          [-0, 1],
        ],
        dy: [
          [-0, NaN],
          [Infinity, 1],
          [-Infinity, 0],
        ],
        dx: [
          [
            [-0, Infinity, -Infinity],
            [NaN, 1, 0],
          ],
        ],
      },
    ],
  },
} satisfies OpSpec<TransposeAttrs>);

/** For each flat index of y, the flat index of x it copies. */
function gatherIndex(xShape: Shape, perm: readonly number[]): Int32Array {
  const xStrides = stridesOf(xShape);
  const yShape = perm.map((p) => xShape[p]);
  const map = new Int32Array(sizeOf(xShape));
  odometer(
    yShape,
    perm.map((p) => xStrides[p]),
    map,
  );
  return map;
}
