import type { Values } from '../dtype.ts';
import type { Node } from '../graph.ts';
import type { Meta } from '../ops/spec.ts';
import type { Tensor } from '../tensor.ts';

/** Where a tensor's value lives; opaque outside its backend. */
export interface Storage {
  readonly backend: Backend;
}

/** A device that computes nodes. The CPU reference and WebGPU implement the same verbs. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Stores values given by the user. */
  upload(values: Values): Storage;
  /** Computes (or, on a GPU, encodes) one node; `input` gives the storage of each tensor it reads. */
  run(node: Node, out: Meta, input: (t: Tensor) => Storage): Storage;
  /** Submits encoded work (no-op on the CPU). */
  flush(): void;
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
