import { formatShape } from '../shape.ts';
import { fail } from '../errors.ts';
import { aroundAxis } from '../shape.ts';
import type { Meta, OpSpec, TestCase } from './spec.ts';

export interface AxisAttrs {
  /** Normalised (non-negative) axis. */
  readonly axis: number;
}

/** y = exp(x - max) / sum exp(x - max) along axis; dx = y (dy - sum(dy y)) along the same axis. */
export const softmax: OpSpec<AxisAttrs> = {
  name: 'softmax',
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => axisInfer('softmax', x, attrs),
  saves: { inputs: [], output: true },
  fwd([x], y, { axis }) {
    const { outer, n, inner } = aroundAxis(x.shape, axis);
    const [X, Y] = [x.data, y.data];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let m = -Infinity;
        for (let j = 0; j < n; j++) m = Math.max(m, X[base + j * inner]); // NOTE: subtract the max so exp cannot overflow
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(X[base + j * inner] - m);
        for (let j = 0; j < n; j++) Y[base + j * inner] = Math.exp(X[base + j * inner] - m) / s;
      }
    }
  },
  vjp({ y, dy, attrs: { axis } }, _wrt, dx) {
    const { outer, n, inner } = aroundAxis(y!.shape, axis);
    const [Y, G, D] = [y!.data, dy.data, dx.data];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += G[base + j * inner] * Y[base + j * inner];
        for (let j = 0; j < n; j++) D[base + j * inner] = Y[base + j * inner] * (G[base + j * inner] - dot);
      }
    }
  },
  test: {
    cases: axisCases(),
    golden: [
      { inputs: [[0, Math.log(3)]], attrs: { axis: 0 }, y: [0.25, 0.75] },
      { inputs: [[[1000, 1000], [0, 0]]], attrs: { axis: 1 }, y: [[0.5, 0.5], [0.5, 0.5]] },
    ],
  },
};

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
