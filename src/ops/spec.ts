import type { DType, Values } from '../dtype.ts';
import type { Shape } from '../shape.ts';
import type { Dispatch } from './params.ts';

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
}

/** A hand-computed example that checks the CPU forward. Inputs are nested arrays; int32 inputs are labels. */
export interface Golden<A> {
  readonly inputs: readonly unknown[];
  readonly attrs?: A;
  readonly y: unknown;
}

/** Where random inputs are drawn: a union of intervals, e.g. [[-2, -0.2], [0.2, 2]] to stay off a pole at 0. */
export type Domain = readonly (readonly [number, number])[];

export interface TestSpec<A> {
  readonly cases: readonly TestCase<A>[];
  readonly golden: readonly Golden<A>[];
  /** Domain of every random float input; default [[-2, 2]]. */
  readonly domain?: Domain;
  /** Per-input domains, overriding `domain` where given. */
  readonly inputDomains?: readonly (Domain | undefined)[];
  /** True if these inputs sit too near a kink (or pole) for finite differences; they are redrawn. */
  readonly nearKink?: (x: readonly Arg[], attrs: A) => boolean;
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
  /** Launch sizes and params of shaders/<name>.wgsl: <name>_fwd, and <name>_vjp for input `wrt`. */
  readonly gpu: GpuKernels<A>;
  readonly test: TestSpec<A>;
}

/** How the WebGPU backend launches an op's two kernels. */
export interface GpuKernels<A> {
  fwd(x: readonly Meta[], y: Meta, attrs: A): Dispatch;
  vjp?(x: readonly Meta[], y: Meta, wrt: number, dx: Meta, attrs: A): Dispatch;
}

export type AnyOpSpec = OpSpec<any>;

/** One binding of a kernel: its WGSL variable name, number in group 0, and buffer type. */
export interface Binding {
  readonly name: string;
  readonly binding: number;
  readonly type: 'uniform' | 'read-only-storage' | 'storage';
}

/**
 * Bindings of an op's two kernels, derived from the spec. Each name has one binding number for both
 * entry points, so one WGSL variable serves both: p = 0 (uniform params), inputs 1..k (read-only),
 * y = k+1 (read_write: the forward writes it, the VJP may read it), dy = k+2, dx = k+3 (read_write).
 */
export function kernelBindings(spec: AnyOpSpec): { fwd: Binding[]; vjp: Binding[] } {
  const k = spec.inputs.length;
  const p: Binding = { name: 'p', binding: 0, type: 'uniform' };
  const input = (i: number): Binding => ({ name: spec.inputs[i].name, binding: i + 1, type: 'read-only-storage' });
  const y: Binding = { name: 'y', binding: k + 1, type: 'storage' };
  return {
    fwd: [p, ...spec.inputs.map((_, i) => input(i)), y],
    vjp: [
      p,
      ...spec.saves.inputs.map(input),
      ...(spec.saves.output ? [y] : []),
      { name: 'dy', binding: k + 2, type: 'read-only-storage' },
      { name: 'dx', binding: k + 3, type: 'storage' },
    ],
  };
}
