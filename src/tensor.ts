/**
 * Tensor: what users hold. A thin facade over one graph value (graph.ts) with autograd's handles
 * (requiresGrad, grad) and a method per op, derived from the op registry; plus the functions that
 * make tensors from data.
 */
import { backward, setGrad } from './autograd.ts';
import { allocate, checkDType, dtypeOf, isFloat, type DType, type Values } from './dtype.ts';
import { ChainruleError, fail } from './errors.ts';
import { read, realize } from './executor.ts';
import { record, Value, vjpOf } from './graph.ts';
import { describeArg, setRecorder } from './ops/define.ts';
import * as ops from './ops/index.ts';
import type { AnyOpSpec, Call, InputArg } from './ops/spec.ts';
import { normals, rng } from './random.ts';
import { checkElements, formatShape, sizeOf, type Shape } from './shape.ts';
import { scalar, upload } from './values.ts';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export type NestedArray = number | readonly NestedArray[];
/** A number or a tensor: numbers in binary ops become constants of the other operand's float type. */
export type TensorLike = Tensor | number;

/** A method per op: cr.<name>(t, ...rest) as t.<name>(...rest). */
type OpMethods = {
  [K in keyof typeof ops]: (typeof ops)[K] extends (x: infer X, ...rest: infer R) => infer Y ? (Tensor extends X ? (...rest: R) => Y : never) : never;
};

// Interface merging: a Tensor has every op as a method (installed on the prototype below).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface Tensor extends OpMethods {}

/**
 * An n-dimensional array in a computational graph. Ops record nodes; a value is computed when it is
 * read (`await t.data()`), so a whole step can run as one plan. `grad` is filled by `backward()`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Tensor {
  /** The graph value this tensor stands for (chainrule's own: its lifecycle, node and storage). */
  readonly value: Value;

  /** Tensors are made by cr.tensor, cr.zeros, ... and by ops; this wraps a graph value. */
  constructor(value: Value) {
    this.value = value;
    facades.set(value, this);
  }

  get shape(): Shape {
    return this.value.shape;
  }

  get dtype(): DType {
    return this.value.dtype;
  }

  get ndim(): number {
    return this.value.shape.length;
  }

  get size(): number {
    return sizeOf(this.value.shape);
  }

  get shapeString(): string {
    return formatShape(this.value.shape);
  }

  get requiresGrad(): boolean {
    return this.value.requiresGrad;
  }

  /** Only leaves (tensors made from data) can start or stop requiring grad. */
  set requiresGrad(on: boolean) {
    if (!this.value.isLeaf) throw new ChainruleError(`requiresGrad can only be set on leaf tensors; use detach() to cut ${this} from its graph`);
    if (on && !isFloat(this.dtype)) throw new ChainruleError(`requiresGrad: ${this} is ${this.dtype}; only float tensors have gradients`);
    this.value.requiresGrad = on;
  }

  /** A leaf starts a graph: made from data, under noGrad, or a gradient. Only leaves fill .grad by default. */
  get isLeaf(): boolean {
    return this.value.isLeaf;
  }

  /** The gradient after backward(). */
  get grad(): Tensor | null {
    const g = this.value.grad;
    if (!g) return null;
    g.gradUnseen = false; // a user may hold it from now on
    return tensorOf(g);
  }

  set grad(g: Tensor | null) {
    if (g !== null && !(g instanceof Tensor)) fail('grad', `must be a Tensor or null, got ${describeArg(g)}`);
    setGrad(this.value, g?.value ?? null);
  }

  /** "file:line:col" of the user's code that made this tensor, when it can be found. */
  get origin(): string | undefined {
    return this.value.origin;
  }

  toString(): string {
    return this.value.toString();
  }

  /** Computes the value (on the device) without reading it back; returns this. */
  realize(): this {
    realize([this.value]);
    return this;
  }

  /** Keeps this value after the plan that computes it, so reading it later needs no recomputation. */
  keep(): this {
    if (this.value.keep === 'plan') this.value.keep = 'result';
    return this;
  }

  /**
   * The values, flat in row-major order: Float32Array (Float64Array for float64) or Int32Array, as
   * they are at the moment of the call (the copy starts now, before anything recorded later).
   * `{ verify: true }` checks every node of the computation against the CPU reference, and
   * `{ checkNumerics: true }` every output for NaN and infinities (as init's options do for all).
   */
  data(options: { verify?: boolean; checkNumerics?: boolean } = {}): Promise<Values> {
    try {
      return read(this.value, options);
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
    this.value.assertUsable('backward');
    if (seed !== undefined && !(seed instanceof Tensor && isFloat(seed.dtype))) {
      fail('backward', `the seed gradient must be a float Tensor, got ${seed instanceof Tensor ? seed.dtype : describeArg(seed)}`);
    }
    backward(this.value, seed?.value.assertUsable('backward'));
  }

  /** Keeps the gradient of this intermediate in .grad after backward() (leaves always keep theirs). */
  retainGrad(): this {
    if (!this.requiresGrad) fail('retainGrad', `${this} does not require grad`);
    this.value.retainsGrad = true;
    return this;
  }

  zeroGrad(): void {
    setGrad(this.value, null);
  }

  /** The same value as a new leaf outside the graph (shares the storage until either is updated in place). */
  detach(): Tensor {
    this.realize();
    const s = this.value.storage!;
    return new Tensor(new Value(this.value, { storage: s.backend.share(s) }));
  }

  /**
   * Frees the value now rather than at garbage collection (GPU memory comes back at once); any later
   * use of this tensor throws. Computations already recorded that read it still get its value.
   */
  dispose(): void {
    const v = this.value;
    if (v.disposed) return;
    v.disposed = true;
    if (v.uses > 0) return; // the executor frees it after its last pending reader
    v.release();
    v.node = null;
  }
}

// The facade of each value that has one: a value's .grad is the same Tensor each time it is read.
const facades = new WeakMap<Value, Tensor>();

/** The tensor standing for a value (made on first use). */
export function tensorOf(v: Value): Tensor {
  return facades.get(v) ?? new Tensor(v);
}

// The ops as methods: t.softmax(axis) is cr.softmax(t, axis).
for (const [name, op] of Object.entries(ops)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: function (this: Tensor, ...args: unknown[]) {
      return (op as (...a: unknown[]) => Tensor)(this, ...args);
    },
    writable: true,
    configurable: true,
  });
}

// How an op call becomes a node: inputs converted, then recorded on the graph.
setRecorder((spec, call) => tensorOf(record(spec, toInputs(spec, call), call.attrs)));

/** Records an op's spec directly on tensors (tests and benchmarks; users call cr.<name>). */
export function apply(spec: AnyOpSpec, inputs: readonly Tensor[], attrs: unknown): Tensor {
  return tensorOf(record(spec, toInputs(spec, { inputs, attrs }), attrs));
}

/** Records the VJP of y's op for input `wrt` applied to dy (tests and benchmarks; users call backward()). */
export function applyVjp(y: Tensor, wrt: number, dy: Tensor): Tensor {
  return tensorOf(vjpOf(y.value, wrt, dy.value));
}

/**
 * The values of a call's inputs: tensors as they are; a number, for a float input, a cached constant
 * of the other operand's float type (float64 stays exact); numbers, for an int32 input (labels,
 * indices), an int32 tensor.
 */
function toInputs(spec: AnyOpSpec, { inputs }: Call<unknown>): Value[] {
  if (inputs.length !== spec.inputs.length) fail(spec.name, `takes ${spec.inputs.length} input${spec.inputs.length === 1 ? '' : 's'}, got ${inputs.length}`);
  const like = inputs.find((x): x is Tensor => x instanceof Tensor && isFloat(x.dtype));
  return inputs.map((x: InputArg, i) => {
    if (x instanceof Tensor) return x.value;
    const input = spec.inputs[i];
    if (typeof x === 'number' && input.number) return scalar(x, like ? like.dtype : 'float32');
    if ((Array.isArray(x) || x instanceof Int32Array) && input.dtype === 'int32') return labels(spec.name, x);
    const what = input.dtype === 'int32' ? 'an int32 Tensor or an array of integers' : input.number ? 'a Tensor or a number' : 'a Tensor';
    return fail(spec.name, `${input.name} must be ${what}, got ${describeArg(x)}`);
  });
}

/** Labels or indices given as numbers: an int32 tensor (each must be a 32-bit integer). */
function labels(op: string, numbers: readonly number[] | Int32Array): Value {
  const values = Int32Array.from(numbers);
  values.forEach((v, i) => {
    if (v !== numbers[i]) fail(op, `label ${numbers[i]} at index ${i} is not a 32-bit integer`);
  });
  return upload(values, [values.length]);
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

/**
 * Computes the given tensors together, as one plan (one submit on a GPU): e.g. a training step's
 * updated parameters, so forward, backward and update share one command buffer.
 */
export function realizeAll(tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) fail('realize', `expects an array of tensors, got ${describeArg(tensors)}`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) fail('realize', `element ${i} is not a Tensor, got ${describeArg(t)}`);
  });
  realize(tensors.map((t) => t.value));
}

/** A leaf tensor holding `values` (no copy) with this shape. */
export function fromValues(values: Values, shape: Shape, requiresGrad = false): Tensor {
  const t = new Tensor(upload(values, shape));
  if (requiresGrad) t.requiresGrad = true;
  return t;
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
