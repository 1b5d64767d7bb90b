// What the op benchmark measures for each entry of cr.registry and cr.updates, at each size: the
// input shapes (derived from the op's own test cases), the kernels (forward, one VJP per
// differentiable input; an update's step), and the work each kernel does (bytes moved, or flops).
import type { Values } from '../../src/dtype.ts';
import { rng } from '../../src/random.ts';
import { formatShape, sizeOf, type Shape } from '../../src/shape.ts';
import type { AnyOpSpec, Domain, Meta, TestCase } from '../../src/ops/spec.ts';
import type { AnyUpdateSpec } from '../../src/ops/update.ts';

/** The size axis of an op: elements of its largest input, or n of n x n matrices. */
export type Axis = 'elements' | 'n';

/** One op (or update) at one size: everything needed to build its inputs on a device. */
export interface Sized {
  /** The size asked for (elements, or matmul n): the CPU cap compares this. */
  readonly nominal: number;
  /** The size measured: elements of the largest input (close to nominal), or matmul n. */
  readonly size: number;
  readonly shapes: readonly Shape[];
  readonly attrs: unknown;
  /** int32 (label) inputs are drawn from [0, classes). */
  readonly classes: number;
  /** Shape of the forward output (an update has none: its param is rewritten in place). */
  readonly out: Shape;
}

export interface KernelInfo {
  /** 'fwd', 'vjp <input name>' or 'step' (an update). */
  readonly label: string;
  /** The input a VJP is taken for. */
  readonly wrt?: number;
}

/** Work of one kernel run: the throughput column is flops / time when flops is given, else bytes / time. */
export interface Work {
  readonly bytes: number;
  readonly flops?: number;
}

export type Bench =
  | {
      readonly kind: 'op';
      readonly name: string;
      readonly op: AnyOpSpec;
      readonly axis: Axis;
      readonly kernels: readonly KernelInfo[];
      readonly base: TestCase<unknown>;
      readonly fixed: boolean;
    }
  | {
      readonly kind: 'update';
      readonly name: string;
      readonly spec: AnyUpdateSpec;
      readonly axis: Axis;
      readonly kernels: readonly KernelInfo[];
      readonly hyper: unknown;
    };

const F32 = 4; // bytes per element: every value on the device is float32 or int32

interface Special {
  /** The size axis, if not elements. */
  readonly axis?: Axis;
  /** The case at size n; generic() is what the generic rule gives. */
  at(n: number, generic: () => Scaled): Scaled;
  /** Flops of one run (the throughput column is then GFLOP/s). */
  flops?(shapes: readonly Shape[]): number;
  /** Bytes of one run, where the tensors bound are not what the kernel reads (undefined: the generic count). */
  bytes?(c: Sized, kernel: KernelInfo): number | undefined;
}

/**
 * The few ops the generic rule (see caseAt) does not fit. Keyed by op name; each says why.
 */
const SPECIAL: Record<string, Special> = {
  // Square n x n times n x n (the test cases are small odd shapes for edge cases): the size axis is
  // n, and the figure of merit is 2·M·N·K flops, the same for the forward and both VJPs
  // (dA = dY·Bᵀ and dB = Aᵀ·dY are products of the same three dimensions).
  matmul: {
    axis: 'n',
    at: (n) => ({
      shapes: [
        [n, n],
        [n, n],
      ],
      attrs: {},
      classes: 2,
    }),
    flops: ([a, b]) => 2 * sizeOf(a.slice(0, -1)) * a[a.length - 1] * b[b.length - 1],
  },
  // A 3x3 convolution of 8 channels into 8 at 8x8, padding 1 (a small CNN's middle layer), the
  // batch scaled to n elements of x; 2·N·OC·OH·OW·C·KH·KW flops (the VJPs for x and w do as many).
  conv2d: {
    at: (n) => {
      const batch = Math.max(1, Math.round(n / (8 * 8 * 8)));
      return {
        shapes: [[batch, 8, 8, 8], [8, 8, 3, 3], [8]],
        attrs: { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
        classes: 2,
      };
    },
    flops: ([x, w]) => 2 * x[0] * w[0] * x[2] * x[3] * w[1] * w[2] * w[3],
  },
  // The test case's target shape names the test's own dimensions ([2,3,4] to [6,1,4]): the scaled
  // x [L,3,4] is reshaped to [3L,4] instead (leading two dimensions merged).
  reshape: {
    at: (_n, generic) => {
      const c = generic();
      const x = c.shapes[0];
      return { ...c, attrs: { shape: [x[0] * x[1], ...x.slice(2)] } };
    },
  },
  // Scaled as the generic rule says (x [L,2,3], the test's index of 9 and window of 6 rows at
  // offset 2: a minibatch of a large x, as in training), but the index is drawn from all of x's
  // rows, not the test's 7. The window does not grow with x: the VJP kernel (one invocation per dx
  // element, looping over the window: WGSL has no float atomics) costs |x|·rows, quadratic if it
  // did. The forward reads only the window's rows of x, so its bytes count those.
  gather: {
    at: (_n, generic) => {
      const c = generic();
      return { ...c, classes: c.shapes[0][0] };
    },
    bytes: (c, k) => {
      if (k.wrt !== undefined) return undefined;
      const { rows } = c.attrs as { rows: number };
      return F32 * (2 * sizeOf(c.out) + rows); // x's rows read, y written, the window of the index
    },
  },
};

interface Scaled {
  readonly shapes: readonly Shape[];
  readonly attrs: unknown;
  readonly classes: number;
}

/** The benchmarks: every op of the registry, then every fused optimizer update, in their order. */
export function benches(registry: readonly AnyOpSpec[], updates: readonly AnyUpdateSpec[]): Bench[] {
  const ops = registry.map((op): Bench => {
    const { base, fixed } = baseCase(op);
    const kernels: KernelInfo[] = [{ label: 'fwd' }];
    if (op.vjp) op.inputs.forEach((input, wrt) => input.differentiable && kernels.push({ label: `vjp ${input.name}`, wrt }));
    return { kind: 'op', name: op.name, op, axis: SPECIAL[op.name]?.axis ?? 'elements', kernels, base, fixed };
  });
  const steps = updates.map((spec): Bench => {
    // The last hyperparameters its kernel is tested with: the fullest step (momentum and Nesterov,
    // or Adam with weight decay), past the first.
    const set = spec.test.hypers[spec.test.hypers.length - 1];
    return { kind: 'update', name: spec.name, spec, axis: 'elements', kernels: [{ label: 'step' }], hyper: set[set.length - 1] };
  });
  return [...ops, ...steps];
}

/**
 * The generic rule. The op's test case of highest rank (ties: the most elements; cases with an
 * empty input are left out), with its attrs and classes.
 */
function baseCase(op: AnyOpSpec): { base: TestCase<unknown>; fixed: boolean } {
  const cases = op.test.cases.filter((c) => c.shapes.every((s) => sizeOf(s) > 0));
  if (cases.length === 0) throw new Error(`bench/ops: ${op.name} has no test case without an empty input to derive a benchmark case from`);
  const rank = (c: TestCase<unknown>) => Math.max(...c.shapes.map((s) => s.length));
  const elements = (c: TestCase<unknown>) => c.shapes.reduce((n, s) => n + sizeOf(s), 0);
  const base = cases.reduce((best, c) => (rank(c) > rank(best) || (rank(c) === rank(best) && elements(c) > elements(best)) ? c : best));
  // Only scalars: nothing to scale; measured once at the test's size rather than skipped.
  return { base, fixed: rank(base) === 0 && !SPECIAL[op.name] };
}

/**
 * The case at size n: the base case with the leading dimension of its largest input scaled so that
 * input has about n elements (trailing dimensions, class counts and attrs kept). Every other input
 * with the same leading dimension (a shared batch dimension: the labels of a loss) scales with it;
 * the rest (a broadcast operand) keep their shapes. Special ops (SPECIAL) adjust this.
 */
export function caseAt(bench: Bench, n: number): Sized {
  if (bench.kind === 'update') return { nominal: n, size: n, shapes: [[n]], attrs: bench.hyper, classes: 2, out: [n] };
  const { op, base } = bench;
  const generic = (): Scaled => {
    const sizes = base.shapes.map(sizeOf);
    const big = base.shapes[sizes.indexOf(Math.max(...sizes))];
    const scaled = (lead: number) => base.shapes.map((s) => (s.length > 0 && s[0] === big[0] ? [lead, ...s.slice(1)] : s));
    const lead = bench.fixed ? big[0] : Math.max(1, Math.round((n * big[0]) / sizeOf(big)));
    return { shapes: bench.fixed ? base.shapes : scaled(lead), attrs: base.attrs ?? {}, classes: base.classes ?? 2 };
  };
  const c = SPECIAL[op.name]?.at(n, generic) ?? generic();
  let out: Meta;
  try {
    out = op.infer(
      c.shapes.map((shape, i) => ({ shape, dtype: op.inputs[i].dtype === 'int32' ? 'int32' : 'float32' })),
      c.attrs,
    );
  } catch (e) {
    throw new Error(
      `bench/ops: ${op.name} at size ${n}: the scaled test case ${describeShapes(c.shapes)} fails its shape rule (${(e as Error).message}); give it an entry in SPECIAL (bench/ops/cases.ts)`,
      { cause: e },
    );
  }
  const size = bench.axis === 'n' ? n : Math.max(...c.shapes.map(sizeOf));
  return { nominal: bench.fixed ? size : n, size, ...c, out: out.shape };
}

/**
 * Work of one run. Bytes: every tensor the kernel binds, each counted once, 4 bytes per element:
 * the forward reads its inputs and writes y; a VJP reads what the op saves (inputs, y) and dy and
 * writes dx; an update reads grad and reads and writes param and each state buffer.
 */
export function workOf(bench: Bench, c: Sized, kernel: KernelInfo): Work {
  if (bench.kind === 'update') return { bytes: F32 * c.size * (1 + 2 + 2 * bench.spec.state.length) };
  const { op } = bench;
  const inputs = c.shapes.map(sizeOf);
  const y = sizeOf(c.out);
  const flops = SPECIAL[op.name]?.flops?.(c.shapes);
  const bytes = SPECIAL[op.name]?.bytes?.(c, kernel);
  if (bytes !== undefined) return { bytes, flops };
  if (kernel.wrt === undefined) return { bytes: F32 * (inputs.reduce((a, b) => a + b, 0) + y), flops };
  const dx = inputs[kernel.wrt]; // vjpShape may differ only for broadcasting ops, whose dx is x's shape
  const saved = op.saves.inputs.reduce((s, i) => s + inputs[i], 0) + (op.saves.output ? y : 0);
  return { bytes: F32 * (saved + y + dx), flops }; // y here is dy, of y's shape
}

/** Every tensor of a run fits the device's largest storage binding. */
export function fits(c: Sized, maxBinding: number): boolean {
  const largest = Math.max(...c.shapes.map(sizeOf), sizeOf(c.out));
  return F32 * largest <= maxBinding;
}

export function describeShapes(shapes: readonly Shape[]): string {
  return shapes.map(formatShape).join(' ');
}

/**
 * Input values, seeded: floats uniform in the op's test domain (per input where it gives one; off
 * poles such as div's 0), int32 labels uniform in [0, classes). Float32 / Int32 arrays, as uploaded.
 */
export function inputValues(bench: Bench, c: Sized, seed: number): Values[] {
  const next = rng(seed);
  if (bench.kind === 'update') return [uniform(c.size, [[-1, 1]], next)];
  const { op } = bench;
  return op.inputs.map((input, i) => {
    const n = sizeOf(c.shapes[i]);
    if (input.dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(next() * c.classes));
    return uniform(n, op.test.inputDomains?.[i] ?? op.test.domain ?? [[-2, 2]], next);
  });
}

/** A random cotangent (uniform in [-1, 1]) for a VJP. */
export function cotangent(n: number, seed: number): Float32Array {
  return uniform(n, [[-1, 1]], rng(seed));
}

function uniform(n: number, domain: Domain, next: () => number): Float32Array {
  const total = domain.reduce((s, [lo, hi]) => s + hi - lo, 0);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let u = next() * total;
    let v = domain[domain.length - 1][1];
    for (const [lo, hi] of domain) {
      if (u < hi - lo) {
        v = lo + u;
        break;
      }
      u -= hi - lo;
    }
    out[i] = v;
  }
  return out;
}
