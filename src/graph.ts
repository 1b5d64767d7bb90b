/**
 * The lazy graph: values, the nodes that compute them, and recording an op. A value's lifecycle
 * (storage, pending readers, in-place versions, autograd's marks) lives here, in the graph's own
 * type; the user's Tensor (tensor.ts) is a thin facade over one value.
 */
import type { Storage } from './backend/backend.ts';
import { isFloat, type DType } from './dtype.ts';
import { assert, fail, firstUserFrame, here } from './errors.ts';
import { isGradEnabled } from './grad-mode.ts';
import { kernelReads, type AnyOpSpec, type Meta } from './ops/spec.ts';
import { checkElements, formatShape, type Shape } from './shape.ts';

/**
 * How a value is computed: an op's forward, or its VJP for input `wrt`. Either way the node holds
 * exactly what its kernel reads, `reads` (kernelReads(op, kind), in that order), so everything else
 * can be freed once computed.
 */
export interface Node {
  readonly op: AnyOpSpec;
  readonly kind: 'fwd' | 'vjp';
  readonly attrs: unknown;
  /** The input whose cotangent a VJP computes (0 for a forward). */
  readonly wrt: number;
  /** What the kernel reads: a forward, every input; a VJP, the saved inputs, y if saved, and dy. */
  readonly reads: readonly Value[];
  /** Shapes and dtypes of all the op's inputs (a VJP reads only the saved ones). */
  readonly inputs: readonly Meta[];
}

/** Who frees a value: the plan that computes it, the library (a gradient), or the garbage collector. */
export type Keep = 'plan' | 'grad' | 'result';

/**
 * One value of the graph. Invariants:
 * - `uses` counts the pending (not yet computed) nodes that read it;
 * - it holds a storage once computed, until freed: the executor frees it at its last use when it can
 *   be recomputed from its node and nothing else needs it (see `freeable`);
 * - `version` counts in-place updates (optimizer steps); a node records its inputs' versions when
 *   recorded, if any of them may be updated in place, and refuses to run on newer ones.
 */
export class Value implements Meta {
  readonly shape: Shape;
  readonly dtype: DType;
  /** How it is computed; null for leaves (data, parameters, constants) and values no one can recompute. */
  node: Node | null;
  // The storage, in a record shared with the finalizer that frees it when this value is collected.
  readonly #owner: { storage: Storage | null } = { storage: null };
  // Where the user's code made it (formatted only when read). NOTE: until formatted, V8's stack holds
  // each frame's receiver; long-lived internal values (scalar constants) skip it, or they would pin those.
  readonly #creation: Error | null;

  // Written by the executor.
  uses = 0;
  computed = false;
  /** The error of the plan that failed to compute it: reading it throws that again. */
  failed: Error | null = null;
  version = 0;
  /** Set on values updated in place (parameters, optimizer state): their pending readers, to compute before an update. */
  readers: WeakRef<Value>[] | null = null;
  /** Versions of the node's reads when it was recorded, if one of them may be updated in place. */
  readonly readVersions: readonly number[] | null = null;

  // Written by the user (through Tensor) and autograd.
  requiresGrad: boolean;
  /** A leaf starts a graph: made from data, under noGrad, or as a gradient; only leaves fill .grad by default. */
  readonly isLeaf: boolean;
  retainsGrad = false;
  /** backward() has recorded the VJPs that read this value: autograd is done with it. */
  backwardDone = false;
  /** The gradient backward() accumulates here (leaves, or retainGrad()). */
  grad: Value | null = null;
  /** A gradient no user has seen yet: freed as soon as it is replaced (zeroGrad, accumulation). */
  gradUnseen = false;
  /** Who frees it after its plan: 'plan' (its last use), 'grad' (the library), 'result' (garbage collection). */
  keep: Keep = 'plan';
  /** The layer that made it (Sequential's "0.Linear"), for views that collapse a layer into one box (cr.graph). */
  readonly scope: string | null = currentScope;
  /** dispose() was called: freed after its last pending reader, and any later use throws. */
  disposed = false;

  constructor(meta: Meta, init: { node?: Node; storage?: Storage; requiresGrad?: boolean; traced?: boolean } = {}) {
    this.shape = Object.freeze([...meta.shape]);
    this.dtype = meta.dtype;
    this.#creation = init.traced === false ? null : here();
    this.node = init.node ?? null;
    if (this.node) {
      const reads = this.node.reads;
      for (const r of reads) {
        r.uses++;
        r.readers?.push(new WeakRef(this));
      }
      // Parameters (leaves with requiresGrad) may be updated in place later: note the versions read.
      if (reads.some((r) => r.readers || (r.isLeaf && r.requiresGrad))) this.readVersions = reads.map((r) => r.version);
    }
    this.storage = init.storage ?? null;
    this.requiresGrad = init.requiresGrad ?? false;
    this.isLeaf = !(this.requiresGrad && this.node?.kind === 'fwd');
  }

  get storage(): Storage | null {
    return this.#owner.storage;
  }

  set storage(s: Storage | null) {
    if (s && !this.#owner.storage) {
      finalizer.register(this, this.#owner, this.#owner);
      live.set(this.#owner, new WeakRef(this));
    } else if (!s && this.#owner.storage) {
      finalizer.unregister(this.#owner);
      live.delete(this.#owner);
    }
    this.#owner.storage = s;
  }

  /** "file:line:col" of the user's code that made it, when it can be found. */
  get origin(): string | undefined {
    return this.#creation ? firstUserFrame(this.#creation.stack) : undefined;
  }

  /** " (made at file:line)" for messages, or "". */
  get madeAt(): string {
    const where = this.origin;
    return where ? ` (made at ${where})` : '';
  }

  /** Values whose VJPs still need this one, before backward() ran over it. */
  get awaitsBackward(): boolean {
    return this.requiresGrad && !this.backwardDone;
  }

  /** Whether the executor may free it now: unread, and recomputable and unneeded, or disposed. */
  get freeable(): boolean {
    if (!this.storage || this.uses > 0) return false;
    return this.disposed || (!!this.node && this.keep === 'plan' && !this.awaitsBackward);
  }

  /** Throws an OpError naming `op` if this value cannot be used: disposed, failed, or on a released device. */
  assertUsable(op: string): this {
    if (this.disposed) fail(op, `${this}${this.madeAt} was disposed; it cannot be used any more`);
    if (this.failed) throw this.failed;
    if (this.storage && !this.storage.backend.live) {
      fail(
        op,
        `${this}${this.madeAt} lived on a WebGPU device that cr.dispose() or a later cr.init() released; tensors do not outlive their device: make it again`,
      );
    }
    return this;
  }

  /** Gives its storage back (one owner less) and forgets it. */
  release(): void {
    this.storage?.backend.release(this.storage);
    this.storage = null;
  }

  toString(): string {
    return `Tensor(${this.dtype} ${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

// The layer whose forward is running (withScope): values made meanwhile note it.
let currentScope: string | null = null;

/** Runs fn with values made during it noted as made by the layer `name` (nested: "0.Linear/1.ReLU"). */
export function withScope<T>(name: string, fn: () => T): T {
  const outer = currentScope;
  currentScope = outer ? `${outer}/${name}` : name;
  try {
    return fn();
  } finally {
    currentScope = outer;
  }
}

// Frees a collected value's memory (GPU buffers go back to the pool; CPU values are ordinary garbage).
const finalizer = new FinalizationRegistry<{ storage: Storage | null }>((owner) => {
  live.delete(owner);
  if (owner.storage) owner.storage.backend.release(owner.storage, 'loose');
});

// Values holding a storage, by their owner record: what cr.memory() reports.
const live = new Map<{ storage: Storage | null }, WeakRef<Value>>();

/** Every value that holds a storage now (on any device). */
export function liveValues(): Value[] {
  return [...live.values()].map((r) => r.deref()).filter((v): v is Value => !!v && !!v.storage);
}

/**
 * Records one op: checks the inputs' kinds, runs the shape rule (which throws at graph-build time),
 * checks labels or indices already on the host, and returns the pending output.
 */
export function record(op: AnyOpSpec, inputs: readonly Value[], attrs: unknown): Value {
  if (inputs.length !== op.inputs.length) fail(op.name, `takes ${op.inputs.length} input${op.inputs.length === 1 ? '' : 's'}, got ${inputs.length}`);
  op.inputs.forEach((spec, i) => {
    const x = inputs[i].assertUsable(op.name);
    const ok = spec.dtype === 'any' || (spec.dtype === 'int32' ? x.dtype === 'int32' : isFloat(x.dtype));
    if (!ok)
      fail(op.name, `${spec.name} must be ${spec.dtype === 'int32' ? 'int32 (integer labels)' : 'a float tensor'}, got ${x.dtype} ${formatShape(x.shape)}`);
  });
  const meta = op.infer(inputs, attrs);
  checkElements(op.name, meta.shape);
  if (op.validates) {
    // Labels or indices already on the host are checked now; values made on a device, by its kernels.
    const x = inputs[op.validates.input];
    const values = x.storage?.backend.peek(x.storage);
    if (values) op.validates.check(values, inputs, attrs);
  }
  const requiresGrad = isGradEnabled() && op.inputs.some((spec, i) => spec.differentiable && inputs[i].requiresGrad);
  return new Value(meta, { node: { op, kind: 'fwd', attrs, wrt: 0, reads: inputs, inputs }, requiresGrad });
}

/**
 * Records dx = VJP of y's op for input `wrt`, applied to dy: the node reads only what the op saves,
 * so the other inputs can be freed once the forward is done.
 */
export function vjpOf(y: Value, wrt: number, dy: Value): Value {
  const node = y.node;
  assert(node?.kind === 'fwd', `vjpOf: ${y} was not computed by an op`);
  const { op, attrs, reads: inputs } = node;
  const shape = op.vjpShape ? op.vjpShape(inputs, y, wrt, attrs) : inputs[wrt].shape;
  const reads = kernelReads(op, 'vjp').map((r) => (r.input !== undefined ? inputs[r.input] : r.name === 'y' ? y : dy));
  const metas = inputs.map((x) => ({ shape: x.shape, dtype: x.dtype }));
  return new Value({ shape, dtype: inputs[wrt].dtype }, { node: { op, kind: 'vjp', attrs, wrt, reads, inputs: metas } }); // a gradient has its input's dtype
}

/**
 * The values reachable from `roots` through `inputsOf`, each after its inputs: an iterative
 * depth-first post-order (graphs can be deep). A value is marked when expanded, not when pushed,
 * which keeps the order topological; `inputsOf` runs once per value, as it is expanded.
 */
export function postOrder(roots: readonly Value[], inputsOf: (v: Value) => readonly Value[]): Value[] {
  const order: Value[] = [];
  const seen = new Set<Value>();
  const stack: [Value, boolean][] = roots.map((v) => [v, false]);
  while (stack.length > 0) {
    const [v, expanded] = stack.pop()!;
    if (expanded) {
      order.push(v);
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push([v, true]);
    for (const x of inputsOf(v)) if (!seen.has(x)) stack.push([x, false]);
  }
  return order;
}
