import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { formatShape } from '../shape.ts';
import { reduceAttrs, reduceCases, reduceIndex, reduceInfer, reduceLaunch, type ReduceAttrs } from './reduce.ts';
import type { Arg, OpSpec, Call } from './spec.ts';

/** The special-value tables reduce along axis 1. */
const axis1: ReduceAttrs = { axes: [1], keepdims: false };

/**
 * y = max of x over axes; the max gate routes dy to the first (lowest-index) maximum of each group,
 * so ties get one winner. NaN wins over numbers, as in PyTorch.
 */
export const max = defineOp({
  name: 'max',
  call: (x: Tensor, axis?: number | readonly number[], keepdims = false): Call<ReduceAttrs> => ({ inputs: [x], attrs: reduceAttrs('max', x, axis, keepdims) }),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer([x], attrs) {
    if (attrs.axes.some((a) => x.shape[a] === 0)) {
      fail('max', `cannot reduce over an empty axis (x ${formatShape(x.shape)}, axes ${JSON.stringify(attrs.axes)})`);
    }
    return reduceInfer('max', x, attrs);
  },
  saves: { inputs: [0], output: false },
  fwd([x], y, { axes }) {
    const winner = argmax(x, axes, y.data.length);
    for (let j = 0; j < winner.length; j++) y.data[j] = x.data[winner[j]];
  },
  vjp({ x: [x], dy, attrs: { axes } }, _wrt, dx) {
    const winner = argmax(x!, axes, dy.data.length);
    for (let j = 0; j < winner.length; j++) dx.data[winner[j]] = dy.data[j];
  },
  gpu: {
    // Forward and back alike (reduceLaunch): the VJP recomputes each group's argmax and writes the whole group.
    fwd: ([x], _y, { axes }) => reduceLaunch('max', x.shape, axes),
    vjp: ([x], _y, _wrt, _dx, { axes }) => reduceLaunch('max', x.shape, axes),
  },
  test: {
    cases: reduceCases,
    golden: [
      {
        inputs: [
          [
            [1, 7, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { axes: [1], keepdims: false },
        y: [7, 6],
      },
      {
        inputs: [
          [
            [1, 7, 3],
            [4, 5, 6],
          ],
        ],
        attrs: { axes: [0], keepdims: true },
        y: [[4, 7, 6]],
      },
      { inputs: [[2, 9, 9]], attrs: { axes: [0], keepdims: false }, y: 9 },
    ],
    // torch.max(x, dim): NaN wins (the first NaN), then the first maximum; its backward scatters dy
    // there (NaN and Inf dy included) into zeros
    special: [
      { inputs: [[[NaN, 1]]], attrs: axis1, y: [NaN], dy: [2], dx: [[[2, 0]]] },
      { inputs: [[[1, NaN]]], attrs: axis1, y: [NaN], dy: [NaN], dx: [[[0, NaN]]] },
      { inputs: [[[NaN, NaN]]], attrs: axis1, y: [NaN], dy: [3], dx: [[[3, 0]]] },
      { inputs: [[[Infinity, 1]]], attrs: axis1, y: [Infinity], dy: [Infinity], dx: [[[Infinity, 0]]] },
      { inputs: [[[1, Infinity]]], attrs: axis1, y: [Infinity], dy: [-Infinity], dx: [[[0, -Infinity]]] },
      { inputs: [[[-Infinity, -Infinity]]], attrs: axis1, y: [-Infinity], dy: [-1], dx: [[[-1, 0]]] },
      {
        inputs: [
          [
            [-0, 0],
            [0, -0],
          ],
        ],
        attrs: axis1,
        y: [-0, 0],
        dy: [-0, 1],
        dx: [
          [
            [-0, 0],
            [1, 0],
          ],
        ],
      },
      {
        inputs: [
          [
            [-Infinity, 5, 5],
            [NaN, Infinity, -Infinity],
          ],
        ],
        attrs: { axes: [0, 1], keepdims: true },
        y: [[NaN]],
        dy: [[-0]],
        dx: [
          [
            [0, 0, 0],
            [-0, 0, 0],
          ],
        ],
      },
    ],
    nearKink: ([x], { axes }) => nearTieInGroup(x, axes, 1e-3),
  },
} satisfies OpSpec<ReduceAttrs>);

/** Flat index in x of the first maximum of each output group (a NaN, once seen, stays the maximum). */
function argmax(x: Arg, axes: readonly number[], groups: number): Int32Array {
  const to = reduceIndex(x.shape, axes);
  const winner = new Int32Array(groups).fill(-1);
  for (let i = 0; i < to.length; i++) {
    const j = to[i];
    const best = winner[j] < 0 ? NaN : x.data[winner[j]];
    if (winner[j] < 0 || x.data[i] > best || (x.data[i] !== x.data[i] && best === best)) winner[j] = i;
  }
  return winner;
}

/** True if a group's top two values are closer than gap: finite differences would cross the tie. */
function nearTieInGroup(x: Arg, axes: readonly number[], gap: number): boolean {
  const to = reduceIndex(x.shape, axes);
  const groups = new Map<number, number[]>();
  to.forEach((j, i) => groups.set(j, [...(groups.get(j) ?? []), x.data[i]]));
  return [...groups.values()].some((g) => {
    const sorted = g.sort((p, q) => q - p);
    return sorted.length > 1 && sorted[0] - sorted[1] < gap;
  });
}
