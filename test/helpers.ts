import { allocate, type DType, type Values } from '../src/dtype.ts';
import { normals, rng } from '../src/random.ts';
import { sizeOf } from '../src/shape.ts';
import type { AnyOpSpec, Arg, Domain, Meta, TestCase } from '../src/ops/spec.ts';

/**
 * Random inputs for one test case of an op, in float64: floats uniform in the op's domain, labels
 * uniform in [0, classes). Inputs near a kink of the op are redrawn with the next seed.
 */
export function randomInputs(spec: AnyOpSpec, c: TestCase<unknown>, seed: number): Arg[] {
  for (let attempt = 0; attempt < 100; attempt++) {
    const next = rng(seed + 7919 * attempt);
    const args = spec.inputs.map((input, i): Arg => {
      const shape = c.shapes[i];
      const n = sizeOf(shape);
      if (input.dtype === 'int32') {
        const classes = c.classes ?? 2;
        return { shape, dtype: 'int32', data: Int32Array.from({ length: n }, () => Math.floor(next() * classes)) };
      }
      const domain = spec.test.inputDomains?.[i] ?? spec.test.domain ?? [[-2, 2]];
      return { shape, dtype: 'float64', data: Float64Array.from({ length: n }, () => draw(domain, next)) };
    });
    if (!spec.test.nearKink?.(args, c.attrs)) return args;
  }
  throw new Error(`${spec.name}: could not draw inputs away from kinks for ${JSON.stringify(c)}`);
}

/** Runs an op's CPU forward directly (no graph): the numerical side of the checks. */
export function runForward(spec: AnyOpSpec, args: readonly Arg[], attrs: unknown): Arg {
  const y: Meta = spec.infer(args, attrs);
  const out: Arg = { ...y, data: allocate(y.dtype, sizeOf(y.shape)) };
  spec.fwd(args, out, attrs);
  return out;
}

/** A fixed random cotangent. */
export function randomCotangent(n: number, seed: number): Float64Array {
  return normals(n, rng(seed));
}

export function castTo(values: Values, dtype: DType): Values {
  const out = allocate(dtype, values.length);
  out.set(values);
  return out;
}

/** Flattens nested arrays of numbers. */
export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/** Largest |a - b| / max(1, |b|) : relative for large values, absolute near zero. */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    e = Number.isNaN(d) && !(Number.isNaN(a[i]) && Number.isNaN(b[i])) ? Infinity : Math.max(e, d || 0);
  }
  return e;
}

/** Uniform over a union of intervals. */
function draw(domain: Domain, next: () => number): number {
  const total = domain.reduce((s, [lo, hi]) => s + hi - lo, 0);
  let u = next() * total;
  for (const [lo, hi] of domain) {
    if (u < hi - lo) return lo + u;
    u -= hi - lo;
  }
  return domain[domain.length - 1][1];
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Runs an op's CPU VJP directly for input `wrt`: the full-shape cotangent, as a kernel writes it. */
export function runVjp(spec: AnyOpSpec, args: readonly Arg[], attrs: unknown, dy: Arg, wrt: number): Arg {
  const y = runForward(spec, args, attrs);
  const shape = spec.vjpShape ? spec.vjpShape(args, y, wrt, attrs) : args[wrt].shape;
  const dx: Arg = { shape, dtype: args[wrt].dtype, data: allocate(args[wrt].dtype, sizeOf(shape)) };
  const saved = (i: number) => (spec.saves.inputs.includes(i) ? args[i] : null);
  spec.vjp!({ x: args.map((_, i) => saved(i)), xMeta: args, y: spec.saves.output ? y : null, dy, attrs }, wrt, dx);
  return dx;
}

/** The same inputs in float32 (labels stay int32). */
export function toFloat32(args: readonly Arg[]): Arg[] {
  return args.map((a) => (a.dtype === 'int32' ? a : { ...a, dtype: 'float32', data: Float32Array.from(a.data) }));
}
