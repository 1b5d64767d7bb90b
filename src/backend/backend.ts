import type { Values } from '../dtype.ts';
import type { Node } from '../graph.ts';
import type { Meta } from '../ops/spec.ts';
import type { AnyUpdateSpec } from '../ops/update.ts';
import type { Tensor } from '../tensor.ts';

/** Where a tensor's value lives; opaque outside its backend. */
export interface Storage {
  readonly backend: Backend;
}

/**
 * When a value will be freed: `plan` inside the plan that made it (the same sizes in the same order
 * every step); `grad` by the library (a gradient, at zeroGrad); `loose` whenever the garbage
 * collector gets to it (uploads, losses, results). Pooling the lanes apart lets a repeated step get
 * the same buffers back, and so reuse its bind groups.
 */
export type Lane = 'plan' | 'grad' | 'loose';

/** A device that computes nodes. The CPU reference and WebGPU implement the same verbs. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Stores values given by the user. */
  upload(values: Values): Storage;
  /**
   * Computes (or, on a GPU, encodes) one node; `input` gives the storage of each tensor it reads,
   * `lane` when the value will be freed (a GPU keeps a buffer pool per lane).
   */
  run(node: Node, out: Meta, input: (t: Tensor) => Storage, lane?: Lane): Storage;
  /**
   * Runs an optimizer update in place (or, on a GPU, encodes it): rewrites the param and state
   * storages from grad. `n` is the number of elements of the parameter.
   */
  update(spec: AnyUpdateSpec, hyper: unknown, n: number, grad: Storage, param: Storage, state: readonly Storage[]): void;
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
  /** Drops one owner; the memory is reused once none is left. */
  release(storage: Storage): void;
  /** Waits until submitted work is done; throws the first device error seen. */
  sync(): Promise<void>;
  /** Throws an OpError if a tensor of this kind cannot live on this device (size limits, dtype). */
  checkSize(op: string, meta: Meta): void;
}
