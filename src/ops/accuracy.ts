import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { classLabels } from './labels.ts';
import { lossCases, lossInfer } from './loss.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

/**
 * The fraction of rows whose first maximum score is at the label: (1/N) sum_i [argmax_j s_ij = y_i].
 * A metric, not differentiable; computed on the device so training can skip per-step readbacks.
 */
export const accuracy = defineOp({
  name: 'accuracy',
  call: (scores: Tensor, labels: Tensor | readonly number[] | Int32Array): Call<Record<string, never>> => ({ inputs: [scores, labels], attrs: {} }),
  inputs: [
    { name: 'scores', dtype: 'float', differentiable: false },
    { name: 'labels', dtype: 'int32', differentiable: false },
  ],
  infer: ([scores, labels]) => lossInfer('accuracy', scores, labels),
  saves: { inputs: [], output: false },
  fwd([scores, labels], y) {
    const [n, c] = scores.shape;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0; // the first maximum, as max() routes its gradient; NaN wins, as in max()
      for (let j = 1; j < c; j++) {
        const v = scores.data[i * c + j],
          b = scores.data[i * c + best];
        if (!Number.isNaN(b) && (v > b || Number.isNaN(v))) best = j;
      }
      if (best === labels.data[i]) correct++;
    }
    y.data[0] = correct / n;
  },
  validates: classLabels('accuracy'),
  gpu: {
    fwd: ([scores]) => ({ groups: 1, params: new Params().u32(scores.shape[0], scores.shape[1]) }),
  },
  test: {
    cases: lossCases,
    special: [
      {
        inputs: [
          [
            [1, NaN, Infinity],
            [NaN, NaN, 1],
            [-Infinity, -Infinity, -Infinity],
            [1, Infinity, Infinity],
            [-0, 0, -1],
            [0, -Infinity, 5],
          ],
          [1, 0, 0, 1, 0, 2],
        ],
        y: 1,
      },
      {
        inputs: [
          [
            [0, -Infinity],
            [NaN, Infinity],
          ],
          [1, 1],
        ],
        y: 0,
      },
    ],
    golden: [
      {
        inputs: [
          [
            [0, 1],
            [3, 2],
            [5, 5],
          ],
          [1, 1, 0],
        ],
        y: 2 / 3,
      }, // a tie goes to the first maximum
      { inputs: [[[1, 2, 3]], [2]], y: 1 },
    ],
  },
} satisfies OpSpec<Record<string, never>>);
