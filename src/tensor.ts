import { backward } from './autograd.ts';
import { backendFor } from './device.ts';
import { allocate, checkDType, dtypeOf, isFloat, type DType, type Values } from './dtype.ts';
import { ChainruleError, fail, firstUserFrame } from './errors.ts';
import { read, realize } from './executor.ts';
import { depsOf, type Node } from './graph.ts';
import type { Storage } from './backend/backend.ts';
import * as api from './ops/api.ts';
import { normals, rng } from './random.ts';
import { checkElements, formatShape, sizeOf, type Shape } from './shape.ts';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export type NestedArray = number | readonly NestedArray[];
/** A number or a tensor: numbers in binary ops become constants of the other operand's float type. */
export type TensorLike = Tensor | number;

/**
 * An n-dimensional array in a computational graph. Ops record nodes; a value is computed when it is
 * read (`await t.data()`), so a whole step can run as one plan. `grad` is filled by `backward()`.
 */
export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  /** How this tensor is computed; null for leaves and for realized tensors autograd no longer needs. */
  node: Node | null;
  #grad: Tensor | null = null;
  /** Number of unrealized nodes that read this tensor (the executor frees values no one will read). */
  uses = 0;
  /** Set once backward() has recorded the VJPs that read this tensor. */
  backwardDone = false;
  /** Kept after a plan even if nothing reads it: a backward root, or on request (keep()). */
  kept = false;
  /** A gradient made by backward() that no user has seen (via .grad) yet: freed when replaced. */
  ownedByGrad = false;
  /** Held as some tensor's .grad: a user will read it. */
  held = false;
  // The owner of the value, shared with the finalizer that frees GPU memory when this tensor is collected.
  readonly #owner: { storage: Storage | null } = { storage: null };
  /** Set once the executor has computed the value (it may have freed it since). */
  computed = false;
  /** Counts in-place updates of the value (optimizer steps); a node checks its inputs' at run time. */
  version = 0;
  /**
   * Set on tensors an optimizer updates in place (parameters, optimizer state): their pending
   * readers are tracked so a step can compute them from the old value first.
   */
  readers: WeakRef<Tensor>[] | null = null;
  /** Versions of the node's inputs (depsOf order) when it was recorded, if any input may be updated in place. */
  readonly inputVersions: readonly number[] | null = null;
  /** Set by retainGrad(): a non-leaf that keeps its gradient in .grad. */
  retainsGrad = false;
  /** Set by dispose(): the value is gone (or goes after its pending readers), and any use throws. */
  disposed = false;
  /** The error of the plan that failed to compute this tensor: reading it throws it again. */
  failed: Error | null = null;
  #requiresGrad: boolean;
  /** A leaf starts a graph: made from data, under noGrad, or a gradient. Only leaves fill .grad by default. */
  readonly isLeaf: boolean;
  // Captured at creation (cheap: V8 formats the stack only when read) to tell users where a tensor came from.
  // NOTE: until formatted, V8's stack holds each frame's receiver (the tensor an op was called on);
  // long-lived internal tensors (scalar constants) skip it, or they would pin those tensors.
  readonly #creation: Error | null;

  constructor(shape: Shape, dtype: DType, init: { node?: Node; storage?: Storage; requiresGrad?: boolean; traced?: boolean }) {
    this.#creation = init.traced === false ? null : new Error();
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.node = init.node ?? null;
    if (this.node) {
      const deps = depsOf(this.node);
      for (const d of deps) {
        d.uses++;
        d.readers?.push(new WeakRef(this));
      }
      // Parameters (leaves with requiresGrad) may be updated in place later: note what was read.
      if (deps.some((d) => d.readers || (d.isLeaf && d.requiresGrad))) this.inputVersions = deps.map((d) => d.version);
    }
    this.storage = init.storage ?? null;
    this.#requiresGrad = init.requiresGrad ?? false;
    this.isLeaf = !(this.#requiresGrad && this.node?.kind === 'fwd');
  }

  /** Where the value lives once computed; null while pending (or after the executor freed it). */
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

  /** The gradient after backward(). Gradients are held: the executor never frees them. */
  get grad(): Tensor | null {
    if (this.#grad) this.#grad.ownedByGrad = false; // a user may hold it from now on
    return this.#grad;
  }

  /**
   * Replacing a gradient that only autograd ever held (zeroGrad, or accumulation) frees its memory
   * at once rather than at garbage collection: a repeated step then gets the same buffers back, and
   * its bind groups are reused (plan reuse).
   */
  set grad(g: Tensor | null) {
    const old = this.#grad;
    if (g) g.held = true;
    this.#grad = g;
    if (old && old !== g && old.ownedByGrad && old.uses === 0 && old.storage) {
      old.storage.backend.release(old.storage);
      old.storage = null;
    }
  }

  /** The gradient, for chainrule's own code: unlike .grad, does not hand it to the user. */
  peekGrad(): Tensor | null {
    return this.#grad;
  }

  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }

  /** Only leaves (tensors made from data) can start or stop requiring grad. */
  set requiresGrad(value: boolean) {
    if (!this.isLeaf) {
      throw new ChainruleError(`requiresGrad can only be set on leaf tensors; use detach() to cut ${this} from its graph`);
    }
    if (value && !isFloat(this.dtype)) throw new ChainruleError(`requiresGrad: ${this} is ${this.dtype}; only float tensors have gradients`);
    this.#requiresGrad = value;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get shapeString(): string {
    return formatShape(this.shape);
  }

  /** "file:line:col" of the user's code that made this tensor, when it can be found. */
  get origin(): string | undefined {
    return this.#creation ? firstUserFrame(this.#creation.stack) : undefined;
  }

  /** " (made at file:line)" for messages, or "". */
  get madeAt(): string {
    const where = this.origin;
    return where ? ` (made at ${where})` : '';
  }

  /** Throws an OpError naming `op` if this tensor cannot be used: disposed, failed, or on a released device. */
  assertUsable(op: string): this {
    if (this.disposed) fail(op, `${this}${this.madeAt} was disposed; it cannot be used any more`);
    if (this.failed) throw this.failed;
    if (this.storage && !this.storage.backend.live) {
      fail(op, `${this}${this.madeAt} lived on a WebGPU device that cr.dispose() or a later cr.init() released; tensors do not outlive their device: make it again`);
    }
    return this;
  }

  /**
   * Frees the value now rather than at garbage collection (GPU memory comes back at once); any later
   * use of this tensor throws. Computations already recorded that read it still get its value.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.uses > 0) return; // the executor frees it after its last pending reader
    if (this.storage) {
      this.storage.backend.release(this.storage);
      this.storage = null;
    }
    this.node = null;
  }

  toString(): string {
    return `Tensor(${this.dtype} ${this.shapeString}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  /** Computes the value (on the device) without reading it back; returns this. */
  realize(): this {
    realize([this]);
    return this;
  }

  /** Keeps this value after the plan that computes it, so reading it later needs no recomputation. */
  keep(): this {
    this.kept = true;
    return this;
  }

  /**
   * The values, flat in row-major order: Float32Array (Float64Array for float64) or Int32Array.
   * `{ verify: true }` checks every node of the computation against the CPU reference, and
   * `{ checkNumerics: true }` every output for NaN and infinities (as init's options do for all).
   */
  data(options: { verify?: boolean; checkNumerics?: boolean } = {}): Promise<Values> {
    try {
      return read(this, options); // starts the copy now: the values are those of this moment
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The values as nested arrays (a number for a scalar). */
  async array(): Promise<NestedArray> {
    return nest(Array.from(await this.data()), this.shape);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) fail('item', `needs a tensor with one element, got shape ${this.shapeString}`);
    return (await this.data())[0];
  }

  /** Backpropagates from this tensor; a non-scalar needs a seed gradient of its shape. */
  backward(seed?: Tensor): void {
    backward(this, seed);
  }

  /** Keeps the gradient of this intermediate in .grad after backward() (leaves always keep theirs). */
  retainGrad(): this {
    if (!this.requiresGrad) fail('retainGrad', `${this} does not require grad`);
    this.retainsGrad = true;
    return this;
  }

  zeroGrad(): void {
    this.grad = null;
  }

  /** The same value as a new leaf outside the graph (shares the computed storage). */
  detach(): Tensor {
    this.realize();
    return new Tensor(this.shape, this.dtype, { storage: this.storage!.backend.share(this.storage!) });
  }

  onesLike(): Tensor {
    const dtype = isFloat(this.dtype) ? this.dtype : 'float32';
    return this.ndim === 0 ? scalar(1, dtype) : full(this.shape, 1, { dtype });
  }

  // Ops (see src/ops/api.ts for the maths and conventions of each).
  add(b: TensorLike) { return api.add(this, b); }
  sub(b: TensorLike) { return api.sub(this, b); }
  mul(b: TensorLike) { return api.mul(this, b); }
  div(b: TensorLike) { return api.div(this, b); }
  maximum(b: TensorLike) { return api.maximum(this, b); }
  minimum(b: TensorLike) { return api.minimum(this, b); }
  pow(p: number) { return api.pow(this, p); }
  neg() { return api.neg(this); }
  exp() { return api.exp(this); }
  log() { return api.log(this); }
  sqrt() { return api.sqrt(this); }
  reciprocal() { return api.reciprocal(this); }
  sigmoid() { return api.sigmoid(this); }
  tanh() { return api.tanh(this); }
  relu() { return api.relu(this); }
  matmul(b: Tensor) { return api.matmul(this, b); }
  transpose(axes?: readonly number[]) { return api.transpose(this, axes); }
  reshape(shape: Shape) { return api.reshape(this, shape); }
  sum(axis?: number | readonly number[], keepdims = false) { return api.sum(this, axis, keepdims); }
  mean(axis?: number | readonly number[], keepdims = false) { return api.mean(this, axis, keepdims); }
  max(axis?: number | readonly number[], keepdims = false) { return api.max(this, axis, keepdims); }
  softmax(axis = -1) { return api.softmax(this, axis); }
  logSoftmax(axis = -1) { return api.logSoftmax(this, axis); }
  oneHot(classes: number) { return api.oneHot(this, classes); }
  softmaxCrossEntropy(labels: Tensor) { return api.softmaxCrossEntropy(this, labels); }
  gather(index: Tensor | readonly number[] | Int32Array, options?: { offset?: number; rows?: number }) { return api.gather(this, index, options); }
  l2() { return api.l2(this); }
}

// Frees a collected tensor's memory (GPU buffers go back to the pool; CPU values are ordinary garbage).
const finalizer = new FinalizationRegistry<{ storage: Storage | null }>((owner) => {
  live.delete(owner);
  if (owner.storage) owner.storage.backend.release(owner.storage, 'loose');
});

// Tensors holding a value, by their storage's owner record: what cr.memory() reports.
const live = new Map<{ storage: Storage | null }, WeakRef<Tensor>>();

/** Every tensor that holds a value now (on any device). */
export function liveTensors(): Tensor[] {
  return [...live.values()].map((r) => r.deref()).filter((t): t is Tensor => !!t && !!t.storage);
}

/**
 * Makes a leaf tensor: `tensor([[1, 2], [3, 4]])`, `tensor([0, 2, 1], { dtype: 'int32' })`,
 * or `tensor(flatData, shape, options)` with a Float32Array, Int32Array or number[].
 */
export function tensor(data: NestedArray | ArrayLike<number>, shapeOrOptions?: Shape | TensorOptions, options: TensorOptions = {}): Tensor {
  let shape: Shape;
  let flat: ArrayLike<number>;
  if (Array.isArray(shapeOrOptions)) {
    shape = shapeOrOptions as Shape;
    checkShape('tensor', shape);
    flat = typeof data === 'number' ? [data] : (data as ArrayLike<number>);
    if (Array.isArray(flat) && flat.some(Array.isArray)) fail('tensor', 'data with an explicit shape must be flat');
    if (flat.length !== sizeOf(shape)) {
      fail('tensor', `data has ${flat.length} values but shape ${formatShape(shape)} needs ${sizeOf(shape)}`);
    }
  } else {
    options = (shapeOrOptions as TensorOptions | undefined) ?? options;
    if (ArrayBuffer.isView(data)) {
      flat = data as unknown as ArrayLike<number>;
      shape = [flat.length];
    } else {
      ({ flat, shape } = flatten(data as NestedArray));
    }
  }
  const dtype = checkDType('tensor', options.dtype) ?? (ArrayBuffer.isView(data) ? dtypeOf(data as unknown as Values) : 'float32');
  return fromValues(toValues(flat, dtype), shape, options.requiresGrad ?? false);
}

function toValues(flat: ArrayLike<number>, dtype: DType): Values {
  const values = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') fail('tensor', `value at index ${i} is ${typeof v}, not a number`);
    if (dtype === 'int32' && !(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      fail('tensor', `value ${v} at index ${i} is not a 32-bit integer (dtype int32)`);
    }
    values[i] = v;
  }
  return values;
}

function flatten(data: NestedArray): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = (level as readonly NestedArray[])[0]) {
    shape.push((level as readonly NestedArray[]).length);
    if ((level as readonly NestedArray[]).length === 0) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) fail('tensor', `ragged nested array: element at [${path}] is an array, expected a number`);
      flat.push(v as number);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      fail('tensor', `ragged nested array: element at [${path}] has length ${Array.isArray(v) ? v.length : 'none (a number)'}, expected ${shape[depth]}`);
    }
    (v as readonly NestedArray[]).forEach((c, i) => walk(c, depth + 1, [...path, i]));
  };
  walk(data, 0, []);
  return { flat, shape };
}

export function fromValues(values: Values, shape: Shape, requiresGrad = false): Tensor {
  const t = new Tensor(shape, dtypeOf(values), { storage: backendFor(dtypeOf(values)).upload(values) });
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

function nest(flat: number[], shape: Shape): NestedArray {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape;
  const step = sizeOf(rest);
  return Array.from({ length: d }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}

export interface RandomOptions extends TensorOptions {
  /** Same seed, same values on every device and run. */
  seed?: number;
}

// Scalar constants (numbers in ops, the seed of backward) are uploaded once per device and value.
const constants = new WeakMap<object, Map<string, Tensor>>();

/** A cached scalar leaf holding `value`: numbers in binary ops, the seed 1 of backward. */
export function scalar(value: number, dtype: DType): Tensor {
  const backend = backendFor(dtype);
  let cache = constants.get(backend);
  if (!cache) constants.set(backend, (cache = new Map()));
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  let t = cache.get(key);
  if (!t) {
    if (cache.size >= 1024) cache.clear();
    const values = allocate(dtype, 1);
    values[0] = value;
    cache.set(key, (t = new Tensor([], dtype, { storage: backend.upload(values), traced: false })));
    cachedConstants.add(t);
  }
  return t;
}

const cachedConstants = new WeakSet<Tensor>();

/** True for the shared scalar constants of scalar(): never a parameter, never updated in place. */
export function isCachedConstant(t: Tensor): boolean {
  return cachedConstants.has(t);
}

/** A tensor filled with `value`. */
export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  const n = checkShape('full', shape);
  checkDType('full', options.dtype);
  if (typeof value !== 'number') fail('full', `value must be a number, got ${typeof value}`);
  if (options.dtype === 'int32' && !Number.isInteger(value)) fail('full', `value ${value} is not an integer (dtype int32)`);
  return tensor(allocate(options.dtype ?? 'float32', n).fill(value), shape, options);
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Standard normal samples. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  const n = checkShape('randn', shape);
  return tensor(normals(n, rng(checkSeed(options.seed))), shape, { dtype: 'float32', ...options });
}

/** Uniform samples in [0, 1). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  const next = rng(checkSeed(options.seed));
  const values = new Float64Array(checkShape('rand', shape)).map(() => next());
  return tensor(values, shape, { dtype: 'float32', ...options });
}

function checkSeed(seed: number | undefined): number | undefined {
  if (seed !== undefined && !Number.isFinite(seed)) fail('random', `seed ${seed} must be a finite number`);
  return seed;
}

function checkShape(op: string, shape: Shape): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(op, `shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
  }
  return checkElements(op, shape);
}
