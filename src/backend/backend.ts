import type { Values } from '../dtype.ts';
import type { Node } from '../graph.ts';
import type { Meta } from '../ops/spec.ts';

/** Where a tensor's value lives; opaque outside its backend. */
export interface Storage {
  readonly backend: Backend;
}

/** A device that computes nodes. The CPU reference and WebGPU implement the same three verbs. */
export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** Stores values given by the user. */
  upload(values: Values): Storage;
  /** Computes one node whose inputs are all realized; returns the output's storage. */
  run(node: Node, out: Meta): Storage;
  /** The values if they are on the host already (no copy, no wait); undefined otherwise. */
  peek(storage: Storage): Values | undefined;
  /** Copies a value back to the host. */
  read(storage: Storage): Promise<Values>;
}
