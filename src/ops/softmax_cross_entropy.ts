import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { classLabels } from './labels.ts';
import { expSum } from './softmax.ts';
import { lossCases, lossInfer } from './loss.ts';
import { Params } from './params.ts';
import { ANY_ZERO, type OpSpec, type Call } from './spec.ts';

type Attrs = Record<string, never>;

/**
 * L = -(1/N) sum_i log softmax(logits_i)[labels_i], fused and stable (log-sum-exp shifted by the max);
 * dlogits = (softmax(logits) - onehot(labels)) dL / N.
 */
export const softmaxCrossEntropy = defineOp({
  name: 'softmax_cross_entropy',
  call: (logits: Tensor, labels: Tensor | readonly number[] | Int32Array): Call<Attrs> => ({ inputs: [logits, labels], attrs: {} }),
  inputs: [
    { name: 'logits', dtype: 'float', differentiable: true },
    { name: 'labels', dtype: 'int32', differentiable: false },
  ],
  infer: ([logits, labels]) => lossInfer('softmax_cross_entropy', logits, labels),
  saves: { inputs: [0, 1], output: false },
  fwdVjp: true, // softmax_cross_entropy_fwd_vjp: the loss and its gradient in one dispatch
  fwd([logits, labels], y) {
    const [n, c] = logits.shape;
    const Z = logits.data;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const { max, sum } = expSum(Z, i * c, c, 1);
      total += max + Math.log(sum) - Z[i * c + labels.data[i]]; // -log p_y = lse(z) - z_y
    }
    y.data[0] = total / n;
  },
  vjp({ x: [logits, labels], dy }, _wrt, dx) {
    const [n, c] = logits!.shape;
    const Z = logits!.data;
    const g = dy.data[0] / n;
    for (let i = 0; i < n; i++) {
      const { max, sum } = expSum(Z, i * c, c, 1);
      for (let j = 0; j < c; j++) dx.data[i * c + j] = (Math.exp(Z[i * c + j] - max) / sum) * g;
      dx.data[i * c + labels!.data[i]] -= g; // p - onehot
    }
  },
  validates: classLabels('softmax_cross_entropy'),
  gpu: {
    fwd: ([logits]) => ({ groups: 1, params: new Params().u32(logits.shape[0], logits.shape[1]) }),
    vjp: ([logits]) => ({ threads: logits.shape[0], params: new Params().u32(logits.shape[0], logits.shape[1]) }),
  },
  test: {
    cases: lossCases,
    special: [
      { inputs: [[[Infinity, 1]], [0]], y: NaN, dy: 1, dx: [[[NaN, NaN]], null] },
      { inputs: [[[Infinity, 1]], [1]], y: NaN, dy: 1, dx: [[[NaN, NaN]], null] },
      { inputs: [[[NaN, 1]], [1]], y: NaN, dy: 1, dx: [[[NaN, NaN]], null] },
      { inputs: [[[-Infinity, -Infinity]], [0]], y: NaN, dy: 1, dx: [[[NaN, NaN]], null] },
      { inputs: [[[-Infinity, 1]], [1]], y: ANY_ZERO, dy: 1, dx: [[[0, 0]], null] },
      { inputs: [[[-Infinity, 1]], [0]], y: Infinity, dy: 1, dx: [[[-1, 1]], null] },
      {
        inputs: [
          [
            [-Infinity, 1],
            [0, 0],
          ],
          [1, 0],
        ],
        y: Math.LN2 / 2,
        dy: 1,
        dx: [
          [
            [0, 0],
            [-0.25, 0.25],
          ],
          null,
        ],
      },
      { inputs: [[[1, 2]], [0]], y: Math.log(1 + Math.E), dy: NaN, dx: [[[NaN, NaN]], null] },
      { inputs: [[[0, 0]], [0]], y: Math.LN2, dy: Infinity, dx: [[[NaN, Infinity]], null] },
    ],
    golden: [
      { inputs: [[[0, 0]], [1]], y: Math.LN2 },
      {
        inputs: [
          [
            [1000, 0],
            [0, 1000],
          ],
          [0, 0],
        ],
        y: 500,
      },
    ],
  },
} satisfies OpSpec<Attrs>);
