import { defineOp, ndimOf } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../shape.ts';
import { viewKernels } from './reshape.ts';
import type { OpSpec, Call } from './spec.ts';

export interface FlattenAttrs {
  /** The first axis merged (normalized: 0 <= startDim < max(rank, 1)); the merged run ends at the last axis. */
  readonly startDim: number;
}

/**
 * y = x with axes startDim..-1 merged into one (torch.flatten(x, start_dim) with end_dim -1; a
 * scalar becomes [1]): the same values in the same order, so a view. dx = dy reshaped back.
 */
export const flatten = defineOp({
  name: 'flatten',
  // Default 1, as torch.nn.Flatten: the batch axis stays. A negative startDim counts from the end.
  call(x: Tensor, startDim = 1): Call<FlattenAttrs> {
    const n = Math.max(ndimOf('flatten', x), 1);
    checkStart(x.shape, startDim);
    return { inputs: [x], attrs: { startDim: startDim < 0 ? startDim + n : startDim } };
  },
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], { startDim }) {
    checkStart(x.shape, startDim, true);
    return { shape: [...x.shape.slice(0, startDim), sizeOf(x.shape.slice(startDim))], dtype: x.dtype };
  },
  ...viewKernels, // shaders/flatten.wgsl: the same copies as reshape's
  test: {
    cases: [
      { shapes: [[2, 3, 4]], attrs: { startDim: 1 } },
      { shapes: [[2, 3, 4, 5]], attrs: { startDim: 2 } },
      { shapes: [[3, 5]], attrs: { startDim: 0 } },
      { shapes: [[2, 1, 3]], attrs: { startDim: 2 } },
      { shapes: [[7]], attrs: { startDim: 0 } },
      { shapes: [[]], attrs: { startDim: 0 } },
      { shapes: [[0, 3]], attrs: { startDim: 1 } },
    ],
    golden: [
      {
        inputs: [
          [
            [
              [1, 2],
              [3, 4],
            ],
            [
              [5, 6],
              [7, 8],
            ],
          ],
        ],
        attrs: { startDim: 1 },
        y: [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
        ],
      },
      {
        inputs: [
          [
            [
              [1, 2],
              [3, 4],
            ],
            [
              [5, 6],
              [7, 8],
            ],
          ],
        ],
        attrs: { startDim: 0 },
        y: [1, 2, 3, 4, 5, 6, 7, 8],
      },
      {
        inputs: [[[[[1, 2]], [[3, 4]]]]],
        attrs: { startDim: 2 },
        y: [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      },
      { inputs: [5], attrs: { startDim: 0 }, y: [5] },
    ],
    // a copy: every value, -0 included, moves unchanged both ways
    special: [
      {
        inputs: [
          [
            [NaN, Infinity],
            [-Infinity, -0],
          ],
        ],
        attrs: { startDim: 0 },
        y: [NaN, Infinity, -Infinity, -0],
        dy: [-0, NaN, -Infinity, Infinity],
        dx: [
          [
            [-0, NaN],
            [-Infinity, Infinity],
          ],
        ],
      },
    ],
  },
} satisfies OpSpec<FlattenAttrs>);

/** startDim must be an integer in [-max(rank, 1), max(rank, 1) - 1], as torch.flatten's start_dim (>= 0 once normalized). */
function checkStart(shape: Shape, startDim: number, normalized = false): void {
  const n = Math.max(shape.length, 1);
  if (typeof startDim !== 'number' || !Number.isInteger(startDim) || startDim < (normalized ? 0 : -n) || startDim >= n) {
    fail(
      'flatten',
      `startDim ${JSON.stringify(startDim) ?? typeof startDim} is out of range for x ${formatShape(shape)} (expected an integer from ${-n} to ${n - 1})`,
    );
  }
}
