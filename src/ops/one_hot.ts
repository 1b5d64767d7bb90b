import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { checkLabels } from './labels.ts';
import { sizeOf } from '../shape.ts';
import { Params } from './params.ts';
import type { OpSpec, Call } from './spec.ts';

export interface OneHotAttrs {
  readonly classes: number;
}

/** y[..., c] = 1 if labels[...] = c else 0 (float32); labels are int32 in [0, classes). Not differentiable. */
export const oneHot = defineOp({
  name: 'one_hot',
  call: (labels: Tensor | readonly number[] | Int32Array, classes: number): Call<OneHotAttrs> => ({ inputs: [labels], attrs: { classes } }),
  inputs: [{ name: 'labels', dtype: 'int32', differentiable: false }],
  infer([labels], { classes }) {
    if (!Number.isInteger(classes) || classes < 1) fail('one_hot', `classes must be a positive integer, got ${classes}`);
    return { shape: [...labels.shape, classes], dtype: 'float32' };
  },
  saves: { inputs: [], output: false },
  fwd([labels], y, { classes }) {
    for (let i = 0; i < labels.data.length; i++) y.data[i * classes + labels.data[i]] = 1;
  },
  validates: { input: 0, check: (labels, _x, { classes }) => checkLabels('one_hot', labels, classes) },
  gpu: {
    fwd: (_x, y, { classes }) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape), classes) }),
  },
  test: {
    args: [3],
    cases: [
      { shapes: [[5]], attrs: { classes: 3 }, classes: 3 },
      { shapes: [[2, 3]], attrs: { classes: 4 }, classes: 4 },
      { shapes: [[0]], attrs: { classes: 2 }, classes: 2 },
    ],
    golden: [
      {
        inputs: [[0, 2, 1]],
        attrs: { classes: 3 },
        y: [
          [1, 0, 0],
          [0, 0, 1],
          [0, 1, 0],
        ],
      },
    ],
  },
} satisfies OpSpec<OneHotAttrs>);
