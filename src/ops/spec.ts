/** What an op is: its spec (shape rule, CPU forward and VJP, test data, GPU launches) and what its kernels read and bind. */
import type { DType, Values } from '../dtype.ts';
import type { Shape } from '../shape.ts';
import type { Dispatch } from './params.ts';
import type { Tensor } from '../tensor.ts';

/** Shape and element type of a tensor, known before any value is computed. */
export interface Meta {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** A computed value handed to a CPU kernel. */
export interface Arg extends Meta {
  readonly data: Values;
}

/**
 * An input of an op: its binding name in the kernel, its element kind ('any': float or int32, the
 * kernel moves 32-bit words), and whether it has a gradient (float tensors only).
 */
export interface InputSpec {
  readonly name: string;
  readonly dtype: 'float' | 'int32' | 'any';
  readonly differentiable: boolean;
  /** A number may stand for it: a constant of the other operand's float type (x.mul(2)). */
  readonly number?: boolean;
}

/** What the VJP of an op reads, besides dy: indices of saved inputs, and whether it reads the output y. */
export interface Saves {
  readonly inputs: readonly number[];
  readonly output: boolean;
}

/** Everything a CPU VJP sees: saved inputs (null if not saved), saved output, dy, shapes of all inputs. */
export interface VjpContext<A> {
  readonly x: readonly (Arg | null)[];
  readonly xMeta: readonly Meta[];
  readonly y: Arg | null;
  readonly dy: Arg;
  readonly attrs: A;
}

/** One random-input case for the registry-driven checks. */
export interface TestCase<A> {
  readonly shapes: readonly Shape[];
  readonly attrs?: A;
  /** Number of classes for int32 (label) inputs: labels are drawn from [0, classes). */
  readonly classes?: number;
  /** Inputs of dtype 'any' drawn as int32 labels in [0, classes) rather than floats (a where condition with zeros). */
  readonly ints?: readonly number[];
}

/** A hand-computed example that checks the CPU forward. Inputs are nested arrays; int32 inputs are labels. */
export interface Golden<A> {
  readonly inputs: readonly unknown[];
  readonly attrs?: A;
  readonly y: unknown;
}

/** Where random inputs are drawn: a union of intervals, e.g. [[-2, -0.2], [0.2, 2]] to stay off a pole at 0. */
export type Domain = readonly (readonly [number, number])[];

/** An expected value that is a zero of either sign: where PyTorch's sign depends on its code path (maximum(0, -0), a BLAS sum). */
export const ANY_ZERO = '±0';

/** An expected element of a special case: a number (NaN, ±Infinity and -0 included, -0 meaning exactly -0) or ANY_ZERO. */
export type Expected = number | typeof ANY_ZERO;

/**
 * Inputs holding IEEE special values (NaN, ±Infinity, ±0) and what PyTorch gives for them in float32:
 * the forward output and, for the upstream gradient dy, the VJP of each input. The values are written
 * from PyTorch's semantics (its kernels and tools/autograd/derivatives.yaml), never computed with the
 * CPU reference: that and the WebGPU kernels are what they check.
 */
export interface SpecialCase<A> {
  /** Inputs as nested arrays of numbers (or a number for a scalar); int32 inputs are labels. */
  readonly inputs: readonly unknown[];
  readonly attrs?: A;
  /** The forward output: nested arrays of Expected. */
  readonly y: unknown;
  /** The upstream gradient at y's shape; needed when an input is differentiable. */
  readonly dy?: unknown;
  /** Per input, its VJP for dy at the op's vjpShape (nested arrays of Expected); null for an input without a gradient. */
  readonly dx?: readonly unknown[];
  /** True if output element i reads element i of every input (and dy): failure tables then show those elements. */
  readonly elementwise?: boolean;
  /** Where this case departs from PyTorch on purpose (a documented convention), in words. */
  readonly exception?: string;
}

export interface TestSpec<A> {
  readonly cases: readonly TestCase<A>[];
  readonly golden: readonly Golden<A>[];
  /** Domain of every random float input; default [[-2, 2]]. */
  readonly domain?: Domain;
  /** Per-input domains, overriding `domain` where given. */
  readonly inputDomains?: readonly (Domain | undefined)[];
  /** True if these inputs sit too near a kink (or pole) for finite differences; they are redrawn. */
  readonly nearKink?: (x: readonly Arg[], attrs: A) => boolean;
  /**
   * IEEE special values, checked on the CPU reference and on WebGPU against PyTorch. The elementwise
   * ops (unaryOp, binaryOp) get a full table over specialValues from their `pytorch` formulas.
   */
  readonly special?: readonly SpecialCase<A>[];
  /**
   * The arguments after the tensors in a user's call, where the op needs some (pow's exponent):
   * the registry checks call cr.<name>(...inputs, ...args) and the Tensor method on the first case.
   */
  readonly args?: readonly unknown[];
}

/** What the user may pass for an input: a Tensor, a number for a float input (a constant), labels as numbers for an int32 input. */
export type InputArg = Tensor | number | readonly number[] | Int32Array;

/** A call of an op as the user made it: its inputs (converted to tensors by the graph layer) and normalized attrs. */
export interface Call<A> {
  readonly inputs: readonly InputArg[];
  readonly attrs: A;
}

/**
 * One op: a shape rule, a CPU forward and CPU VJP written by hand on typed arrays, what the VJP
 * reads, and test cases. Its WGSL kernels live in shaders/<name>.wgsl as <name>_fwd and <name>_vjp;
 * their bindings follow from the spec (see kernelBindings).
 */
export interface OpSpec<A = Record<string, never>> {
  /** snake_case; also the shader file stem and the kernel entry prefix. */
  readonly name: string;
  readonly inputs: readonly InputSpec[];
  /**
   * The user-facing call, cr.<camelName>(...args), and the Tensor method when args[0] is the tensor:
   * maps the user's arguments to the op's inputs and its attrs (normalized: axes, shapes, options).
   */
  readonly call: (...args: any[]) => Call<A>;
  /** Shape rule: checks the inputs at graph-build time (throwing an OpError) and returns the output. */
  infer(x: readonly Meta[], attrs: A): Meta;
  readonly saves: Saves;
  /** Writes y (allocated and zeroed) from the inputs. */
  fwd(x: readonly Arg[], y: Arg, attrs: A): void;
  /**
   * Writes dx = (dy^T J_wrt), the cotangent of input `wrt`, into dx (zeroed) at vjpShape: never
   * builds the Jacobian. Absent only when no input is differentiable.
   */
  vjp?(ctx: VjpContext<A>, wrt: number, dx: Arg): void;
  /** Shape of the cotangent the VJP writes for input `wrt`: the input's shape unless the op broadcasts. */
  vjpShape?(x: readonly Meta[], y: Meta, wrt: number, attrs: A): Shape;
  /**
   * Ops that read labels or indices (int32 input `input`): the check that throws an OpError naming
   * the first invalid one. The CPU backend runs it before the op's forward and VJP; on a GPU the
   * kernels record an invalid one in an error slot (`err`, shaders/lib/check.wgsl), and the
   * executor runs this check on the same values to throw the same error.
   */
  readonly validates?: Validates<A>;
  /** Launch sizes and params of shaders/<name>.wgsl: <name>_fwd, and <name>_vjp for input `wrt`. */
  readonly gpu: GpuKernels<A>;
  /**
   * Kernels that only copy: the output is, element for element, input 0 (the forward, if `fwd`) or
   * dy (the VJP for each input in `vjp`). The executor then gives the output the same storage (a
   * view) and runs no kernel; the kernels still exist, and match the CPU reference.
   */
  readonly identity?: { readonly fwd?: boolean; readonly vjp?: readonly number[] };
  /**
   * How the fusion pass (src/fusion.ts) may merge this op's kernels with their neighbours':
   * - 'unary' / 'binary': an elementwise op whose shaders/<name>.wgsl states its forward and
   *   derivatives once as WGSL functions (<name>_f(x), <name>_df(x, y, dy); <name>_f(a, b),
   *   <name>_da(a, b, dy), <name>_db(a, b, dy)) that generated kernels call;
   * - 'epilogue': its kernels store each output element through `emit(O, i, v)`, which a generated
   *   kernel replaces to run elementwise ops on the value before it is written (matmul);
   * - 'prologue': its forward reads each element of x once through `load(k)`, which a generated
   *   kernel replaces to compute the element from elementwise ops first (sum, mean).
   */
  readonly fusible?: 'unary' | 'binary' | 'epilogue' | 'prologue';
  /**
   * The shader has <name>_fwd_vjp, which writes y and dx (for input 0) in one dispatch, launched as
   * the forward is, with the union of both kernels' bindings: run when both are pending together.
   */
  readonly fwdVjp?: boolean;
  readonly test: TestSpec<A>;
}

export interface Validates<A> {
  readonly input: number;
  /** Throws an OpError for the first invalid value; `x` are the shapes and dtypes of all inputs. */
  check(values: Values, x: readonly Meta[], attrs: A): void;
}

/**
 * How the WebGPU backend launches an op's two kernels. `variant` is one of `variants.names` where
 * the op has some (the backend picks it: src/backend/webgpu/autotune.ts), else undefined.
 */
export interface GpuKernels<A> {
  fwd(x: readonly Meta[], y: Meta, attrs: A, variant?: string): Dispatch;
  vjp?(x: readonly Meta[], y: Meta, wrt: number, dx: Meta, attrs: A, variant?: string): Dispatch;
  readonly variants?: Variants;
}

/**
 * Kernels that compute the same values in different ways, the fastest depending on the device
 * (a GPU or a CPU running WebGPU) and the shapes: timed on the user's device at first use of each
 * shape class, and each checked against the CPU reference by the registry checks.
 */
export interface Variants {
  /** The first variant's entry points are <op>_fwd and <op>_vjp; another's <op>_<variant>_fwd and <op>_<variant>_vjp. */
  readonly names: readonly string[];
  /** What runs until a shape class is measured, or when autotune is off: on software adapters (SwiftShader), on GPUs. */
  readonly software: string;
  readonly hardware: string;
}

export type AnyOpSpec = OpSpec<any>;

/** The WGSL entry point of an op's forward or VJP kernel, in one of its variants (see Variants). */
export function entryPoint(spec: AnyOpSpec, kind: 'fwd' | 'vjp', variant?: string): string {
  return variant === undefined || variant === spec.gpu.variants?.names[0] ? `${spec.name}_${kind}` : `${spec.name}_${variant}_${kind}`;
}

/** One binding of a kernel: its WGSL variable name, number in group 0, and buffer type. */
export interface Binding {
  readonly name: string;
  readonly binding: number;
  readonly type: 'uniform' | 'read-only-storage' | 'storage';
  /** Bound at an offset given with each dispatch (the error slot). */
  readonly dynamic?: boolean;
}

/** One value a kernel reads: input `input` of the op (by its name), the op's output `y`, or `dy`. */
export interface Read {
  readonly name: string;
  readonly input?: number;
}

/**
 * What each kernel of an op reads, in order: the forward reads every input; the VJP reads the saved
 * inputs, y if saved, and dy. The one statement of it: graph nodes hold exactly these, both backends
 * bind them by name, kernelBindings numbers them and the tests build their calls from it.
 */
export function kernelReads(spec: AnyOpSpec, kind: 'fwd' | 'vjp'): readonly Read[] {
  const input = (i: number): Read => ({ name: spec.inputs[i].name, input: i });
  if (kind === 'fwd') return spec.inputs.map((_, i) => input(i));
  return [...spec.saves.inputs.map(input), ...(spec.saves.output ? [{ name: 'y' }] : []), { name: 'dy' }];
}

/**
 * Runs an op's CPU reference on the values its kernel reads (`reads`, in kernelReads order), writing
 * `out` (y, or dx for input `wrt`). Checks labels or indices first (validates). The CPU backend and
 * the tests call the reference through this, so both see the reads as kernelReads states them.
 */
export function runReference(
  spec: AnyOpSpec,
  kind: 'fwd' | 'vjp',
  wrt: number,
  attrs: unknown,
  reads: readonly Arg[],
  inputs: readonly Meta[],
  out: Arg,
): void {
  const order = kernelReads(spec, kind);
  const v = spec.validates;
  if (v) {
    const k = order.findIndex((r) => r.input === v.input);
    if (k >= 0) v.check(reads[k].data, inputs, attrs);
  }
  if (kind === 'fwd') return spec.fwd(reads, out, attrs);
  if (!spec.vjp) throw new Error(`${spec.name} has no VJP`);
  const x: (Arg | null)[] = inputs.map(() => null);
  let y: Arg | null = null;
  let dy: Arg | undefined;
  order.forEach((r, k) => {
    if (r.input !== undefined) x[r.input] = reads[k];
    else if (r.name === 'y') y = reads[k];
    else dy = reads[k];
  });
  spec.vjp({ x, xMeta: inputs, y, dy: dy!, attrs }, wrt, out);
}

/**
 * Bindings of an op's two kernels: p = 0 (uniform params), then what kernelReads lists, then the
 * output. Each name has one binding number for both entry points, so one WGSL variable serves both:
 * inputs 1..k (read-only), y = k+1 (read_write: the forward writes it, the VJP may read it),
 * dy = k+2, dx = k+3 (read_write), and for ops that validate labels or indices, err = k+4 (their
 * error slot, at a dynamic offset).
 */
export function kernelBindings(spec: AnyOpSpec): { fwd: Binding[]; vjp: Binding[] } {
  const k = spec.inputs.length;
  const number = (r: Read) => (r.input !== undefined ? r.input + 1 : r.name === 'y' ? k + 1 : k + 2);
  const reads = (kind: 'fwd' | 'vjp') =>
    kernelReads(spec, kind).map((r): Binding => ({ name: r.name, binding: number(r), type: r.name === 'y' ? 'storage' : 'read-only-storage' }));
  const p: Binding = { name: 'p', binding: 0, type: 'uniform' };
  const err: Binding[] = spec.validates ? [{ name: 'err', binding: k + 4, type: 'storage', dynamic: true }] : [];
  return {
    fwd: [p, ...reads('fwd'), { name: 'y', binding: k + 1, type: 'storage' }, ...err],
    vjp: [p, ...reads('vjp'), { name: 'dx', binding: k + 3, type: 'storage' }, ...err],
  };
}

/** Bindings of <name>_fwd_vjp (spec.fwdVjp): those of the forward and of the VJP, each name once. */
export function fwdVjpBindings(spec: AnyOpSpec): Binding[] {
  const { fwd, vjp } = kernelBindings(spec);
  return [...fwd, ...vjp.filter((b) => !fwd.some((f) => f.name === b.name))].sort((x, y) => x.binding - y.binding);
}
