/** Shared by the reductions (sum, mean, max): attrs, shape rule, index maps, launches. */
import { fail } from '../errors.ts';
import { formatShape, normalizeAxes, odometer, sizeOf, stridesOf, type Shape } from '../shape.ts';
import { ndimOf } from './define.ts';
import { Params, type Dispatch, WORKGROUP } from './params.ts';
import type { Meta, TestCase } from './spec.ts';

/** Attributes of sum, mean and max: normalised axes (sorted, non-negative) and whether to keep them as 1s. */
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/** The attrs of a reduction's call: axes normalized (negative, one, several, or omitted for all). */
export function reduceAttrs(op: string, x: unknown, axis: number | readonly number[] | undefined, keepdims: boolean): ReduceAttrs {
  return { axes: normalizeAxes(op, axis, ndimOf(op, x)), keepdims };
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
  { shapes: [[2, 1030]], attrs: { axes: [1], keepdims: false } }, // groups over 1024: a workgroup tree on a GPU
  { shapes: [[]], attrs: { axes: [], keepdims: true } },
];

/**
 * Each output is reduced by one invocation (a serial loop, WORKGROUP outputs per workgroup) unless its group
 * is large (a loop of 1024 is short even on a GPU) and there are too few outputs to keep the device
 * busy; then by a workgroup tree.
 * NOTE: workgroup barriers are costly on SwiftShader: the bias gradient (sum over 128 rows of 256
 * columns) took 19 ms as 256 tree reductions, under 1 ms as 256 serial loops; over 300 rows of 100
 * columns, 8.5 ms as trees.
 */
export function isSerial(outputs: number, count: number): boolean {
  return count <= 1024 || (outputs >= 128 && count <= 8192);
}

/**
 * Params of the sum/mean/max kernels (struct P in shaders/{sum,mean,max}.wgsl): groups (outputs),
 * count (elements per group), ranks of kept and reduced axes, n and rank of x, serial (1 if each
 * invocation reduces a whole group); then shape and x strides of the kept axes, of the reduced axes,
 * and x's shape with output strides per x axis (0 where reduced).
 */
export function reduceParams(op: string, shape: Shape, reduced: readonly number[]): Params {
  // Adjacent axes that are both reduced or both kept act as one (row-major): fewer axes, cheaper offsets.
  const { x, axes } = mergeAxes(shape, reduced);
  const strides = stridesOf(x);
  const kept = x.map((_, i) => i).filter((i) => !axes.includes(i));
  const out = stridesOf(x.map((d, i) => (axes.includes(i) ? 1 : d)));
  const count = reducedCount(x, axes);
  const outputs = sizeOf(kept.map((i) => x[i]));
  return new Params()
    .u32(outputs, count, kept.length, axes.length, sizeOf(x), x.length, isSerial(outputs, count) ? 1 : 0)
    .dims(
      kept.map((i) => x[i]),
      op,
    )
    .dims(
      kept.map((i) => strides[i]),
      op,
    )
    .dims(
      axes.map((a) => x[a]),
      op,
    )
    .dims(
      axes.map((a) => strides[a]),
      op,
    )
    .dims(x, op)
    .dims(
      x.map((_, i) => (axes.includes(i) ? 0 : out[i])),
      op,
    );
}

/** x's shape with runs of adjacent reduced (or kept) axes merged into one, and the reduced axes of the result. */
export function mergeAxes(shape: Shape, axes: readonly number[]): { x: number[]; axes: number[] } {
  const x: number[] = [];
  const merged: number[] = [];
  shape.forEach((d, i) => {
    const reduced = axes.includes(i);
    if (i > 0 && reduced === axes.includes(i - 1)) x[x.length - 1] *= d;
    else {
      if (reduced) merged.push(x.length);
      x.push(d);
    }
  });
  return { x, axes: merged };
}

/** Launch of a reduction kernel in groups mode: one workgroup per output, or per WORKGROUP outputs if serial. */
export function reduceLaunch(op: string, x: Shape, axes: readonly number[]): Dispatch {
  const params = reduceParams(op, x, axes);
  const [groups, , , , , , serial] = params.words;
  return { groups: serial ? Math.ceil(groups / WORKGROUP) : groups, params };
}

/** GPU launches shared by sum and mean: reduceLaunch forward, one invocation per x element back. */
export const reduceGpu = (op: string) => ({
  fwd: ([x]: readonly Meta[], _y: Meta, { axes }: ReduceAttrs): Dispatch => reduceLaunch(op, x.shape, axes),
  vjp: ([x]: readonly Meta[], _y: Meta, _wrt: number, _dx: Meta, { axes }: ReduceAttrs): Dispatch => ({
    threads: sizeOf(x.shape),
    params: reduceParams(op, x.shape, axes),
  }),
});
