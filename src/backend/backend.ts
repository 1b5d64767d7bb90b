/**
 * A backend runs one kernel on storages, named by the op's bindings (kernelReads), and keeps their
 * memory. It knows ops and storages, never graphs or tensors. Implemented by the CPU reference and WebGPU.
 */
import type { Values } from '../dtype.ts';
import type { AnyOpSpec, Meta } from '../ops/spec.ts';
import type { Shape } from '../shape.ts';
import type { AnyUpdateSpec } from '../ops/update.ts';

/** Where a tensor's value lives; opaque outside its backend. */
export interface Storage {
  readonly backend: Backend;
  /** Bytes of the value. */
  readonly bytes: number;
}

/**
 * When a value will be freed: `plan` inside the plan that made it (the same sizes in the same order
 * every step); `grad` by the library (a gradient, at zeroGrad); `loose` whenever the garbage
 * collector gets to it (uploads, losses, results). Pooling the lanes apart lets a repeated step get
 * the same buffers back, and so reuse its bind groups.
 */
export type Lane = 'plan' | 'grad' | 'loose';

/** An invalid label or index a kernel recorded: how many, the first position, the value there (exact if count is 1). */
export interface Invalid {
  readonly count: number;
  readonly position: number;
  readonly value: number;
}

/** Where a checked dispatch came from: turns what its kernel recorded into the error to throw. */
export interface CheckSite {
  explain(found: Invalid): Error | Promise<Error>;
}

/** One kernel to run: an op's forward, or its VJP for input `wrt`, on the storages it reads. */
export interface KernelCall {
  readonly op: AnyOpSpec;
  readonly kind: 'fwd' | 'vjp';
  readonly wrt: number;
  readonly attrs: unknown;
  /** The storages of kernelReads(op, kind), in that order, and their shapes and dtypes. */
  readonly reads: readonly Storage[];
  readonly readMetas: readonly Meta[];
  /** Shapes and dtypes of all the op's inputs (a VJP reads only the saved ones). */
  readonly inputs: readonly Meta[];
  /** The output: y for a forward, dx for a VJP. */
  readonly out: Meta;
  /** When the output will be freed (a GPU keeps a buffer pool per lane). */
  readonly lane?: Lane;
  /** Where a GPU kernel that validates labels or indices reports an invalid one (the CPU throws at once). */
  readonly site?: CheckSite;
}

/** What a step of a fused kernel reads: an input of the kernel, an earlier step's value, or the anchor's output. */
export type FusedRef = { readonly input: number } | { readonly step: number } | { readonly anchor: true };

/** One elementwise op in a fused kernel: its forward or VJP on `args` (in kernelReads order). */
export interface FusedStep {
  readonly op: AnyOpSpec;
  readonly kind: 'fwd' | 'vjp';
  readonly wrt: number;
  readonly args: readonly FusedRef[];
  /** Written out, into this lane, when its value is read after the kernel; else it lives in registers only. */
  readonly lane?: Lane;
}

/**
 * Several ops as one generated kernel (src/backend/webgpu/fused.ts): an optional anchor (a kernel
 * that stores through emit(), matmul), then elementwise steps on values of `shape`, element by
 * element. Inputs are read at their own shape, broadcast to `shape` as a trailing block.
 */
export interface FusedCall {
  /**
   * A kernel the steps run inside: an 'epilogue' anchor (matmul) computes their input (`{ anchor }`)
   * and they run as it stores each element; a 'prologue' anchor (sum, mean) reduces step `loads`
   * and they run as it loads each element (its own reads are not bound: the steps compute them).
   */
  readonly anchor?: KernelCall;
  readonly role?: 'epilogue' | 'prologue';
  readonly loads?: number;
  /** Whether the anchor's own output is written (read after the kernel). */
  readonly anchorWritten: boolean;
  readonly shape: Shape;
  readonly inputs: readonly { readonly storage: Storage; readonly meta: Meta }[];
  readonly steps: readonly FusedStep[];
}

/** What a fused kernel wrote: the anchor's output and each step's, where written. */
export interface FusedOutputs {
  readonly anchor?: Storage;
  readonly steps: readonly (Storage | undefined)[];
}

/** One parameter's optimizer update: `n` elements of param and state rewritten in place from grad. */
export interface UpdateItem {
  readonly n: number;
  readonly grad: Storage;
  readonly param: Storage;
  readonly state: readonly Storage[];
}

/** Which part of a step a kernel belongs to. */
export type Phase = 'forward' | 'backward' | 'update' | 'check';

/** One kernel run, as the profiler saw it: GPU time from timestamp queries, or the CPU's own clock. */
export interface KernelTime {
  /** The entry point: matmul_fwd, matmul_vjp, sgd_step, check_finite. */
  readonly kernel: string;
  readonly op: string;
  readonly phase: Phase;
  readonly workgroups: number;
  /** Bytes of the storages the kernel binds (what it may read and write). */
  readonly bytes: number;
  /** Its time; null where the device cannot time kernels (no timestamp-query). */
  readonly ms: number | null;
}

/** A device that computes kernels. The CPU reference and WebGPU implement the same verbs. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** False once the device is released (cr.dispose(), or another cr.init()): its storages are gone. */
  readonly live: boolean;
  /** Stores values given by the user. */
  upload(values: Values): Storage;
  /** Computes (or, on a GPU, encodes) one kernel; returns the output's storage. */
  run(call: KernelCall): Storage;
  /**
   * Runs an optimizer update of each parameter in place (or, on a GPU, encodes it): rewrites the
   * param and state storages from grad. `fuse`: a GPU may update several parameters in one dispatch.
   */
  update(spec: AnyUpdateSpec, hyper: unknown, items: readonly UpdateItem[], fuse: boolean): void;
  /** Storage buffers one kernel may bind (a fused kernel binds one per input and output). */
  readonly maxStorageBuffers?: number;
  /** Runs several kernels as one generated kernel (a GPU; the CPU reference never fuses). */
  runFused?(call: FusedCall): FusedOutputs;
  /** Runs an op's forward and its VJP for input 0 in one kernel (spec.fwdVjp): [y, dx]. */
  runFwdVjp?(fwd: KernelCall, vjp: KernelCall): [Storage, Storage];
  /**
   * Starts timing every kernel (the profiler); says how: GPU timestamp queries, the CPU's clock, or
   * not at all (a GPU without timestamp-query: kernels are counted, not timed).
   */
  startProfile(): 'timestamp-query' | 'cpu-clock' | 'none';
  /** Stops timing; the kernels run since startProfile, in order, once their times are read back. */
  stopProfile(): Promise<KernelTime[]>;
  /** Submits encoded work now (no-op on the CPU). */
  flush(): void;
  /**
   * Ends a plan: its work is submitted at the end of the current JavaScript task (a microtask), so
   * plans realized together (a step, then its metrics) share one submit; reads and sync() flush first.
   */
  endPlan(): void;
  /** The values if they are on the host already (no copy, no wait); undefined otherwise. */
  peek(storage: Storage): Values | undefined;
  /** Copies a value back to the host. */
  read(storage: Storage, meta: Meta): Promise<Values>;
  /** One more owner of a storage (detach shares values). */
  share(storage: Storage): Storage;
  /**
   * The storage, if its caller is its only owner; else a copy the caller owns alone (and one owner
   * less for the original): copy-on-write before an in-place update, so shared values keep theirs.
   */
  own(storage: Storage): Storage;
  /**
   * Drops one owner; the memory is reused once none is left, in `lane` if given (the garbage
   * collector frees at random moments: its buffers go to 'loose', so they never reorder a plan's).
   */
  release(storage: Storage, lane?: Lane): void;
  /** Waits until submitted work is done; throws the first device error seen. */
  sync(): Promise<void>;
  /** Throws an OpError if a tensor of this kind cannot live on this device (size limits, dtype). */
  checkSize(op: string, meta: Meta): void;
  /**
   * The numerics guard: the first NaN or infinity among the `n` float values of a storage. The CPU
   * answers at once; a GPU answers undefined and reports to `site` at the next readback instead.
   */
  checkFinite(storage: Storage, n: number, site: CheckSite): Invalid | undefined;
}
