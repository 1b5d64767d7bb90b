import { fail } from '../errors.ts';
import { formatShape, odometer, sizeOf, stridesOf, type Shape } from '../shape.ts';
import type { Meta, TestCase } from './spec.ts';

/** Attributes of sum, mean and max: normalised axes (sorted, non-negative) and whether to keep them as 1s. */
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/** Shape rule shared by the reductions. */
export function reduceInfer(op: string, x: Meta, { axes, keepdims }: ReduceAttrs): Meta {
  if (!axes.every((a, i) => Number.isInteger(a) && a >= 0 && a < x.shape.length && (i === 0 || a > axes[i - 1]))) {
    fail(op, `axes ${JSON.stringify(axes)} must be distinct axes of x ${formatShape(x.shape)}`);
  }
  const shape = keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return { shape, dtype: x.dtype };
}

/** For each flat index of x, the flat index of the output element it reduces into. */
export function reduceIndex(shape: Shape, axes: readonly number[]): Int32Array {
  const kept = stridesOf(shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  const step = shape.map((_, i) => (axes.includes(i) ? 0 : kept[i]));
  const map = new Int32Array(sizeOf(shape));
  odometer(shape, step, map);
  return map;
}

/** Number of elements each output reduces over. */
export function reducedCount(shape: Shape, axes: readonly number[]): number {
  return sizeOf(axes.map((a) => shape[a]));
}

/** Shapes and axes every reduction is checked on: all axes, one axis, several, keepdims, odd sizes, empty axis list. */
export const reduceCases: readonly TestCase<ReduceAttrs>[] = [
  { shapes: [[7]], attrs: { axes: [0], keepdims: false } },
  { shapes: [[5, 13]], attrs: { axes: [0, 1], keepdims: false } },
  { shapes: [[5, 13]], attrs: { axes: [1], keepdims: true } },
  { shapes: [[5, 13]], attrs: { axes: [0], keepdims: false } },
  { shapes: [[2, 3, 4]], attrs: { axes: [0, 2], keepdims: true } },
  { shapes: [[2, 3, 4]], attrs: { axes: [1], keepdims: false } },
  { shapes: [[3, 1]], attrs: { axes: [], keepdims: false } },
  { shapes: [[]], attrs: { axes: [], keepdims: true } },
];
