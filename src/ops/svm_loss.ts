import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { classLabels } from './labels.ts';
import { lossCases, lossInfer } from './loss.ts';
import { Params } from './params.ts';
import { ANY_ZERO, type Arg, type OpSpec, type Call } from './spec.ts';

export interface SvmAttrs {
  readonly margin: number;
}

/**
 * Multiclass SVM (Weston-Watkins), as in the lecture: L = (1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + margin);
 * ds_ij = dL/N for each positive margin, ds_iy_i = -(count of positive margins) dL/N (subgradient 0 at a margin of 0).
 */
export const svmLoss = defineOp({
  name: 'svm_loss',
  call: (scores: Tensor, labels: Tensor | readonly number[] | Int32Array, options: { margin?: number } = {}): Call<SvmAttrs> => ({
    inputs: [scores, labels],
    attrs: { margin: options.margin ?? 1 },
  }),
  inputs: [
    { name: 'scores', dtype: 'float', differentiable: true },
    { name: 'labels', dtype: 'int32', differentiable: false },
  ],
  infer([scores, labels], { margin }) {
    if (typeof margin !== 'number' || !Number.isFinite(margin)) fail('svm_loss', `margin must be a finite number, got ${margin}`);
    return lossInfer('svm_loss', scores, labels);
  },
  saves: { inputs: [0, 1], output: false },
  fwd([scores, labels], y, { margin }) {
    const [n] = scores.shape;
    let total = 0;
    forEachMargin(scores, labels, margin, (_i, _j, m) => (total += m));
    y.data[0] = total / n;
  },
  vjp({ x: [scores, labels], dy, attrs: { margin } }, _wrt, dx) {
    const [n, c] = scores!.shape;
    const g = dy.data[0] / n;
    forEachMargin(scores!, labels!, margin, (i, j) => {
      dx.data[i * c + j] += g; // d max(0, m)/dm = 1 for m > 0
      dx.data[i * c + labels!.data[i]] -= g; // and m = s_j - s_y + margin
    });
  },
  validates: classLabels('svm_loss'),
  gpu: {
    fwd: ([scores], _y, { margin }) => ({ groups: 1, params: new Params().u32(scores.shape[0], scores.shape[1]).f32(margin) }),
    vjp: ([scores], _y, _wrt, _dx, { margin }) => ({
      threads: scores.shape[0],
      params: new Params().u32(scores.shape[0], scores.shape[1]).f32(margin),
    }),
  },
  test: {
    cases: lossCases.map((c) => ({ ...c, attrs: { margin: 1 } })),
    special: [
      { inputs: [[[Infinity, 1]], [0]], attrs: { margin: 1 }, y: 0, dy: 1, dx: [[[ANY_ZERO, ANY_ZERO]], null] },
      { inputs: [[[1, Infinity]], [0]], attrs: { margin: 1 }, y: Infinity, dy: 1, dx: [[[-1, 1]], null] },
      { inputs: [[[Infinity, Infinity]], [0]], attrs: { margin: 1 }, y: NaN, dy: 1, dx: [[[-1, 1]], null] },
      { inputs: [[[NaN, 1]], [1]], attrs: { margin: 1 }, y: NaN, dy: 1, dx: [[[1, -1]], null] },
      { inputs: [[[-Infinity, -Infinity]], [0]], attrs: { margin: 1 }, y: NaN, dy: 1, dx: [[[-1, 1]], null] },
      { inputs: [[[-Infinity, 1]], [0]], attrs: { margin: 1 }, y: Infinity, dy: 1, dx: [[[-1, 1]], null] },
      { inputs: [[[1, 0]], [0]], attrs: { margin: 1 }, y: 0, dy: 1, dx: [[[ANY_ZERO, ANY_ZERO]], null] },
      { inputs: [[[1, 2]], [0]], attrs: { margin: 1 }, y: 2, dy: NaN, dx: [[[NaN, NaN]], null] },
      { inputs: [[[5, 1]], [0]], attrs: { margin: 1 }, y: 0, dy: NaN, dx: [[[ANY_ZERO, ANY_ZERO]], null] },
      { inputs: [[[5, 1]], [0]], attrs: { margin: 1 }, y: 0, dy: Infinity, dx: [[[ANY_ZERO, ANY_ZERO]], null] },
    ],
    golden: [
      // The lecture's 3-class example: scores (cat 3.2, car 5.1, frog -1.7), label cat: 2.9 + 0 = 2.9
      { inputs: [[[3.2, 5.1, -1.7]], [0]], attrs: { margin: 1 }, y: 2.9 },
      {
        inputs: [
          [
            [3.2, 5.1, -1.7],
            [1.3, 4.9, 2.0],
            [2.2, 2.5, -3.1],
          ],
          [0, 1, 2],
        ],
        attrs: { margin: 1 },
        y: (2.9 + 0 + 12.9) / 3,
      },
    ],
    nearKink: ([scores, labels], { margin }) => {
      let near = false;
      forEachMargin(
        scores,
        labels,
        margin,
        () => {},
        (m) => (near ||= Math.abs(m) < 1e-3),
      );
      return near;
    },
  },
} satisfies OpSpec<SvmAttrs>);

/**
 * Calls positive(i, j, m) for each positive margin m = s_ij - s_iy + margin with j != y_i,
 * and every(m) for every margin.
 */
function forEachMargin(
  scores: Arg,
  labels: Arg,
  margin: number,
  positive: (i: number, j: number, m: number) => void,
  every: (m: number) => void = () => {},
): void {
  const [n, c] = scores.shape;
  const s = scores.data;
  for (let i = 0; i < n; i++) {
    const correct = s[i * c + labels.data[i]];
    for (let j = 0; j < c; j++) {
      if (j === labels.data[i]) continue;
      const m = s[i * c + j] - correct + margin;
      every(m);
      if (!(m <= 0)) positive(i, j, m); // NaN counts, so a diverged model shows a NaN loss
    }
  }
}
