/** Shapes: sizes, strides, broadcasting, axes. */
import { fail } from './errors.ts';

export type Shape = readonly number[];

/** Number of elements: the product of the dimensions (1 for a scalar, 0 if any dimension is 0). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape, names = ['a', 'b']): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      fail(op, `shapes cannot be broadcast (${names[0]} ${formatShape(a)}, ${names[1]} ${formatShape(b)})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index of the element of `inShape` that broadcasts to it.
 * `inShape` must broadcast to `outShape`.
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const map = new Int32Array(sizeOf(outShape));
  odometer(outShape, broadcastStrides(inShape, outShape), map);
  return map;
}

/** Stride of each output dimension in the input (`inShape` broadcast to `outShape`): 0 where broadcast. */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const lead = outShape.length - inShape.length;
  const inStrides = stridesOf(inShape);
  return outShape.map((_, i) => (i < lead || inShape[i - lead] === 1 ? 0 : inStrides[i - lead]));
}

/**
 * Fills `map[i]` with the offset sum(index(i)[k] * step[k]) for every flat index i of `shape`,
 * walking the indices in row-major order with an odometer (amortised O(1) per element).
 */
export function odometer(shape: Shape, step: readonly number[], map: Int32Array): void {
  const n = map.length;
  if (n === 0) return;
  const nd = shape.length;
  const index = new Array<number>(nd).fill(0);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    map[i] = offset;
    for (let k = nd - 1; k >= 0; k--) {
      index[k]++;
      offset += step[k];
      if (index[k] < shape[k]) break;
      offset -= step[k] * shape[k];
      index[k] = 0;
    }
  }
}

/** Normalises one axis (negative counts from the end); throws naming the op if out of range. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (typeof axis !== 'number') fail(op, `axis must be a number, got ${JSON.stringify(axis) ?? typeof axis}`);
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    fail(op, `axis ${axis} is out of range for a tensor with ${ndim} dimension${ndim === 1 ? '' : 's'}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalises an axis list (undefined = all axes), sorted, without repeats. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  if (typeof axes !== 'number' && !Array.isArray(axes))
    fail(op, `axis must be a number, a list of numbers or omitted, got ${JSON.stringify(axes) ?? typeof axes}`);
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => normalizeAxis(op, a, ndim));
  if (new Set(list).size !== list.length) fail(op, `axis ${JSON.stringify(axes)} repeats an axis`);
  return list.sort((x, y) => x - y);
}

/** Splits a shape around `axis` as [outer, n, inner] so that element (o, j, i) is at (o*n + j)*inner + i. */
export function aroundAxis(shape: Shape, axis: number): { outer: number; n: number; inner: number } {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    n: shape[axis],
    inner: sizeOf(shape.slice(axis + 1)),
  };
}

/** Most elements a tensor may hold: sizes and offsets are 32-bit in the kernels, and typed arrays stop near here. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Throws an OpError naming `op` if a tensor of this shape would hold more than MAX_ELEMENTS elements. */
export function checkElements(op: string, shape: Shape): number {
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) fail(op, `a tensor of shape ${formatShape(shape)} would hold ${n} elements, more than the ${MAX_ELEMENTS} chainrule can address`);
  return n;
}
