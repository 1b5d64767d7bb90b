import { allocate, type DType, type Values } from '../src/dtype.ts';
import { normals, rng } from '../src/random.ts';
import { sizeOf } from '../src/shape.ts';
import { ANY_ZERO, type AnyOpSpec, type Arg, type Domain, type Expected, type Meta, type SpecialCase, type TestCase } from '../src/ops/spec.ts';

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
      if (input.dtype === 'int32' || c.ints?.includes(i)) {
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

/** A special case's nested arrays (or a number) as a shape and a flat list. */
export function nested(v: unknown): { shape: number[]; values: unknown[] } {
  const shape: number[] = [];
  for (let t = v; Array.isArray(t); t = t[0]) shape.push(t.length);
  return { shape, values: Array.isArray(v) ? v.flat(Infinity) : [v] };
}

/** The inputs of a special case in a float dtype (labels stay int32). */
export function specialArgs(spec: AnyOpSpec, c: SpecialCase<unknown>, dtype: 'float32' | 'float64'): Arg[] {
  return c.inputs.map((v, k) => {
    const { shape, values } = nested(v);
    const type = spec.inputs[k].dtype === 'int32' ? 'int32' : dtype;
    const data = allocate(type, values.length);
    data.set(values as number[]);
    return { shape, dtype: type, data };
  });
}

/** The inputs that get a VJP: differentiable and not int32. */
export function gradInputs(spec: AnyOpSpec): number[] {
  return spec.inputs.flatMap((input, k) => (input.differentiable && input.dtype !== 'int32' ? [k] : []));
}

/** A special case's upstream gradient in a float dtype. */
export function specialDy(c: SpecialCase<unknown>, dtype: 'float32' | 'float64'): Arg {
  const { shape, values } = nested(c.dy);
  const data = allocate(dtype, values.length);
  data.set(values as number[]);
  return { shape, dtype, data };
}

/** Forward and VJPs of a special case on the CPU reference, called directly. */
export function specialOnCpu(spec: AnyOpSpec, c: SpecialCase<unknown>, dtype: 'float32' | 'float64'): SpecialResult {
  const args = specialArgs(spec, c, dtype);
  const y = runForward(spec, args, c.attrs);
  const dx = spec.inputs.map((_, k) => (gradInputs(spec).includes(k) ? runVjp(spec, args, c.attrs, specialDy(c, dtype), k) : null));
  return { y, dx };
}

/** What a backend computed for a special case: y and each input's VJP (null where there is none). */
export interface SpecialResult {
  readonly y: { readonly shape: readonly number[]; readonly data: ArrayLike<number> };
  readonly dx: readonly ({ readonly shape: readonly number[]; readonly data: ArrayLike<number> } | null)[];
}

/** One compared element: the op, the kernel, the inputs it saw, PyTorch's value and what each backend gave. */
export interface SpecialRow {
  readonly op: string;
  readonly kernel: string;
  readonly input: string;
  readonly want: Expected;
  readonly cpu: number;
  readonly gpu?: number;
  readonly ok: boolean;
}

/** Finite values: relative to max(1, |want|), for float32 kernels and transcendental builtins. */
export const SPECIAL_TOL = 1e-5;

/**
 * Whether got is PyTorch's value: NaN is NaN, ±Infinity exact, a zero of the same sign (or either sign
 * for ANY_ZERO; a finite got within tolerance of a zero must not have the other sign), and finite values
 * within SPECIAL_TOL.
 */
export function matchesExpected(got: number, want: Expected): boolean {
  if (want === ANY_ZERO) return got === 0;
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (!Number.isFinite(got) || Math.abs(got - want) > SPECIAL_TOL * Math.max(1, Math.abs(want))) return false;
  if (want !== 0) return true;
  return got === 0 ? Object.is(got, want) : Math.sign(got) === (Object.is(want, -0) ? -1 : 1);
}

/**
 * Compares a special case's table with the CPU reference and, if given, the device, element by element.
 * Throws if a shape differs from the table's (a wrong table, or a wrong shape rule).
 */
export function specialRows(spec: AnyOpSpec, c: SpecialCase<unknown>, cpu: SpecialResult, gpu?: SpecialResult): SpecialRow[] {
  const rows: SpecialRow[] = [];
  const compare = (kernel: string, table: unknown, k: number | null) => {
    const want = nested(table);
    for (const [side, r] of [
      ['cpu', cpu],
      ['gpu', gpu],
    ] as const) {
      const got = r && (k === null ? r.y : r.dx[k]);
      if (r && (!got || got.shape.join() !== want.shape.join())) {
        throw new Error(`${spec.name}: ${kernel} on ${side} has shape [${got?.shape}], the special table [${want.shape}] (${describeCase(spec, c)})`);
      }
    }
    want.values.forEach((w, j) => {
      const [a, b] = [cpu, gpu].map((r) => (r ? (k === null ? r.y : r.dx[k]!).data[j] : undefined));
      const input = describeElement(spec, c, j, k !== null);
      const ok = matchesExpected(a!, w as Expected) && (b === undefined || matchesExpected(b, w as Expected));
      rows.push({ op: spec.name, kernel, input, want: w as Expected, cpu: a!, gpu: b, ok });
    });
  };
  compare(`${spec.name}_fwd`, c.y, null);
  for (const k of gradInputs(spec)) {
    if (c.dx?.[k] == null || c.dy === undefined) throw new Error(`${spec.name}: a special case needs dy and dx[${k}] (${describeCase(spec, c)})`);
    compare(`${spec.name}_vjp (input ${k})`, c.dx[k], k);
  }
  return rows;
}

/** Number of elements a special case compares: y's, then each VJP's. */
export function specialCount(spec: AnyOpSpec, c: SpecialCase<unknown>): number {
  return nested(c.y).values.length + gradInputs(spec).reduce((n, k) => n + nested(c.dx?.[k]).values.length, 0);
}

/** The failures as an aligned table: op, kernel, input, want, cpu, gpu (and the case's documented exception, if any). */
export function formatSpecial(rows: readonly SpecialRow[], limit = 60): string {
  const head = ['op', 'kernel', 'input', 'want', 'cpu', 'gpu'];
  const body = rows.slice(0, limit).map((r) => [r.op, r.kernel, r.input, show(r.want), show(r.cpu), r.gpu === undefined ? '-' : show(r.gpu)]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => s.padEnd(width[i]))
      .join('  ')
      .trimEnd();
  const more = rows.length > limit ? `\n... and ${rows.length - limit} more` : '';
  return `\n${[head, ...body].map(line).join('\n')}${more}\n`;
}

/** A number as the tables write it: NaN, Inf, -Inf, -0, or 7 significant digits. */
function show(v: Expected): string {
  if (v === ANY_ZERO) return v;
  if (Object.is(v, -0)) return '-0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  return String(Number(v.toPrecision(7)));
}

/** The inputs element j saw: each input (and dy, for a VJP) by value where it is elementwise, else whole. */
function describeElement(spec: AnyOpSpec, c: SpecialCase<unknown>, j: number, withDy: boolean): string {
  const named = spec.inputs.map((input, k) => [input.name, c.inputs[k]] as const);
  const parts = [...named, ...(withDy ? [['dy', c.dy] as const] : [])].map(([name, v]) => {
    const { values } = nested(v);
    return c.elementwise ? `${name}=${show(values[j] as number)}` : `${name}=${showNested(v)}`;
  });
  const attrs = c.attrs && Object.keys(c.attrs).length ? ` ${JSON.stringify(c.attrs)}` : '';
  return `${parts.join(' ')}${attrs} [${j}]`;
}

function describeCase(spec: AnyOpSpec, c: SpecialCase<unknown>): string {
  return spec.inputs.map((input, k) => `${input.name}=${showNested(c.inputs[k])}`).join(' ');
}

function showNested(v: unknown): string {
  const s = Array.isArray(v) ? `[${v.map(showNested).join(',')}]` : show(v as number);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
