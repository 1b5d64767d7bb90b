import { defineOp, ndimOf } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { normalizeAxis, aroundAxis, formatShape, type Shape } from '../shape.ts';
import { Params, type Dispatch } from './params.ts';
import type { Meta, OpSpec, TestCase, Call } from './spec.ts';

export interface AxisAttrs {
  /** Normalised (non-negative) axis. */
  readonly axis: number;
}

/** The special-value tables run along axis 1. */
const axis1: AxisAttrs = { axis: 1 };

/** y = exp(x - max) / sum exp(x - max) along axis; dx = y (dy - sum(dy y)) along the same axis. */
export const softmax = defineOp({
  name: 'softmax',
  call: (x: Tensor, axis = -1): Call<AxisAttrs> => ({ inputs: [x], attrs: { axis: normalizeAxis('softmax', axis, ndimOf('softmax', x)) } }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => axisInfer('softmax', x, attrs),
  saves: { inputs: [], output: true },
  fwd([x], y, { axis }) {
    const [X, Y] = [x.data, y.data];
    forEachLane(x.shape, axis, (base, n, stride) => {
      const { max, sum } = expSum(X, base, n, stride);
      for (let j = 0; j < n; j++) Y[base + j * stride] = Math.exp(X[base + j * stride] - max) / sum;
    });
  },
  vjp({ y, dy, attrs: { axis } }, _wrt, dx) {
    const [Y, G, D] = [y!.data, dy.data, dx.data];
    forEachLane(y!.shape, axis, (base, n, stride) => {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += G[base + j * stride] * Y[base + j * stride];
      for (let j = 0; j < n; j++) D[base + j * stride] = Y[base + j * stride] * (G[base + j * stride] - dot);
    });
  },
  gpu: {
    fwd: ([x], _y, { axis }) => laneDispatch(x.shape, axis),
    vjp: (_x, y, _wrt, _dx, { axis }) => laneDispatch(y.shape, axis),
  },
  test: {
    cases: axisCases(),
    golden: [
      { inputs: [[0, Math.log(3)]], attrs: { axis: 0 }, y: [0.25, 0.75] },
      {
        inputs: [
          [
            [1000, 1000],
            [0, 0],
          ],
        ],
        attrs: { axis: 1 },
        y: [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      },
    ],
    // torch.softmax: exp(x - max) / sum, so a lane with +Inf (Inf - Inf), with NaN, or all -Inf is NaN
    // throughout; a -Inf beside finite values is 0. dx = y (dy - sum(dy y)), no masking (0 * NaN is NaN).
    special: [
      { inputs: [[[Infinity, 1]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[Infinity, Infinity]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[NaN, 1]]], attrs: axis1, y: [[NaN, NaN]], dy: [[1, 2]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[0, 1]], dy: [[1, 2]], dx: [[[-0, 0]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[0, 1]], dy: [[NaN, 1]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-Infinity, 1]]], attrs: axis1, y: [[0, 1]], dy: [[Infinity, 1]], dx: [[[NaN, NaN]]] },
      { inputs: [[[-0, 0]]], attrs: axis1, y: [[0.5, 0.5]], dy: [[1, 3]], dx: [[[-0.5, 0.5]]] },
      { inputs: [[Infinity, 1]], attrs: { axis: 0 }, y: [NaN, NaN], dy: [1, 2], dx: [[NaN, NaN]] },
    ],
  },
} satisfies OpSpec<AxisAttrs>);

/** Shape rule of the ops along one axis: the axis must exist. */
export function axisInfer(op: string, x: Meta, { axis }: AxisAttrs): Meta {
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) {
    fail(op, `axis ${axis} is out of range for x ${formatShape(x.shape)}`);
  }
  return { shape: x.shape, dtype: x.dtype };
}

/** Test cases of the ops along one axis: last axis, first axis, a middle axis, size-1 and empty. */
export function axisCases(): TestCase<AxisAttrs>[] {
  return [
    { shapes: [[7]], attrs: { axis: 0 } },
    { shapes: [[4, 13]], attrs: { axis: 1 } },
    { shapes: [[5, 3]], attrs: { axis: 0 } },
    { shapes: [[2, 3, 4]], attrs: { axis: 1 } },
    { shapes: [[3, 1]], attrs: { axis: 1 } },
    { shapes: [[0, 5]], attrs: { axis: 1 } },
  ];
}

/** GPU launch of the ops along one axis: one invocation per lane, params lanes, n, inner (none if n = 0). */
export function laneDispatch(shape: Shape, axis: number): Dispatch {
  const { outer, n, inner } = aroundAxis(shape, axis);
  const lanes = n === 0 ? 0 : outer * inner;
  return { threads: lanes, params: new Params().u32(lanes, n, inner) };
}

/** Calls fn(base, n, stride) for every 1-D lane of shape along axis: elements base + j * stride, j < n. */
export function forEachLane(shape: Shape, axis: number, fn: (base: number, n: number, stride: number) => void): void {
  const { outer, n, inner } = aroundAxis(shape, axis);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) fn(o * n * inner + i, n, inner);
}

/** Max of a lane and the sum of exp(x - max) over it. NOTE: shifting by the max keeps exp from overflowing. */
export function expSum(x: ArrayLike<number>, base: number, n: number, stride: number): { max: number; sum: number } {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[base + j * stride]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(x[base + j * stride] - max);
  return { max, sum };
}
