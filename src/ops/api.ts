import { isFloat } from '../dtype.ts';
import { fail } from '../errors.ts';
import { apply } from '../graph.ts';
import { formatShape, normalizeAxes, normalizeAxis, sizeOf, type Shape } from '../shape.ts';
import { fromValues, scalar, Tensor, type TensorLike } from '../tensor.ts';
import * as op from './index.ts';
import type { AnyOpSpec } from './spec.ts';

// The user-facing ops: each normalises its arguments (negative axes, -1 in shapes, numbers as
// constants) and records one node. The maths of each op is in its spec, src/ops/<name>.ts.

/** a + b, broadcasting. */
export const add = (a: TensorLike, b: TensorLike) => binary(op.add, a, b);
/** a - b, broadcasting. */
export const sub = (a: TensorLike, b: TensorLike) => binary(op.sub, a, b);
/** a * b elementwise, broadcasting. */
export const mul = (a: TensorLike, b: TensorLike) => binary(op.mul, a, b);
/** a / b elementwise, broadcasting. */
export const div = (a: TensorLike, b: TensorLike) => binary(op.div, a, b);
/** max(a, b) elementwise, broadcasting; ties send the gradient to a. */
export const maximum = (a: TensorLike, b: TensorLike) => binary(op.maximum, a, b);
/** min(a, b) elementwise, broadcasting; ties send the gradient to a. */
export const minimum = (a: TensorLike, b: TensorLike) => binary(op.minimum, a, b);

/** -x. */
export const neg = (x: Tensor) => apply(op.neg, [x], {});
/** e^x. */
export const exp = (x: Tensor) => apply(op.exp, [x], {});
/** Natural logarithm. */
export const log = (x: Tensor) => apply(op.log, [x], {});
/** Square root. */
export const sqrt = (x: Tensor) => apply(op.sqrt, [x], {});
/** 1 / x. */
export const reciprocal = (x: Tensor) => apply(op.reciprocal, [x], {});
/** 1 / (1 + e^-x). */
export const sigmoid = (x: Tensor) => apply(op.sigmoid, [x], {});
/** Hyperbolic tangent. */
export const tanh = (x: Tensor) => apply(op.tanh, [x], {});
/** max(0, x); gradient 0 at x = 0. */
export const relu = (x: Tensor) => apply(op.relu, [x], {});
/** x^p for a number p. */
export const pow = (x: Tensor, p: number) => apply(op.pow, [x], { p });

/** Matrix product over the last two axes, batch axes broadcast. */
export const matmul = (a: Tensor, b: Tensor) => apply(op.matmul, [a, b], {});

/** Permutes axes (NumPy semantics): y.shape[i] = x.shape[axes[i]]; no axes reverses them. */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  tensorArg('transpose', x);
  if (axes !== undefined && !Array.isArray(axes)) fail('transpose', `axes must be an array of axes, got ${JSON.stringify(axes)}`);
  const perm = axes === undefined ? x.shape.map((_, i) => x.ndim - 1 - i) : axes.map((a) => normalizeAxis('transpose', a, x.ndim));
  return apply(op.transpose, [x], { perm });
}

/** Same values in a new shape (row-major); one dimension may be -1 and is inferred. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  tensorArg('reshape', x);
  if (!Array.isArray(shape)) fail('reshape', `shape must be an array, got ${JSON.stringify(shape)}`);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) fail('reshape', `only one dimension can be -1, got ${formatShape(shape)}`);
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) fail('reshape', `cannot reshape x ${x.shapeString} (${x.size} elements) to ${formatShape(shape)}`);
    shape = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  return apply(op.reshape, [x], { shape: [...shape] });
}

/** Sum over an axis, several axes, or all (no axis). */
export const sum = (x: Tensor, axis?: number | readonly number[], keepdims = false) =>
  apply(op.sum, [x], { axes: normalizeAxes('sum', axis, tensorArg('sum', x).ndim), keepdims });
/** Mean over an axis, several axes, or all (no axis). */
export const mean = (x: Tensor, axis?: number | readonly number[], keepdims = false) =>
  apply(op.mean, [x], { axes: normalizeAxes('mean', axis, tensorArg('mean', x).ndim), keepdims });
/** Maximum over an axis, several axes, or all (no axis); the gradient goes to the first maximum. */
export const max = (x: Tensor, axis?: number | readonly number[], keepdims = false) =>
  apply(op.max, [x], { axes: normalizeAxes('max', axis, tensorArg('max', x).ndim), keepdims });

/** Softmax along an axis (default the last). */
export const softmax = (x: Tensor, axis = -1) =>
  apply(op.softmax, [x], { axis: normalizeAxis('softmax', axis, tensorArg('softmax', x).ndim) });
/** Log-softmax along an axis (default the last), computed stably. */
export const logSoftmax = (x: Tensor, axis = -1) =>
  apply(op.log_softmax, [x], { axis: normalizeAxis('log_softmax', axis, tensorArg('log_softmax', x).ndim) });

/** Integer labels [...] to float32 one-hot rows [..., classes]. */
export function oneHot(labels: Tensor | readonly number[] | Int32Array, classes: number): Tensor {
  const l = labelTensor('one_hot', labels);
  return apply(op.one_hot, [l], { classes });
}

/** Mean softmax cross-entropy of logits [N, C] against int32 labels [N]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor | readonly number[] | Int32Array): Tensor {
  const l = labelTensor('softmax_cross_entropy', labels);
  return apply(op.softmax_cross_entropy, [logits, l], {});
}

/** Mean multiclass SVM (hinge) loss of scores [N, C] against int32 labels [N], margin 1 by default. */
export function svmLoss(scores: Tensor, labels: Tensor | readonly number[] | Int32Array, options: { margin?: number } = {}): Tensor {
  const l = labelTensor('svm_loss', labels);
  return apply(op.svm_loss, [scores, l], { margin: options.margin ?? 1 });
}

/**
 * Rows of x at the given int32 indices (tf.gather on axis 0): y[i] = x[index[offset + i]].
 * `offset` and `rows` pick a window of the index (default: all of it), e.g. one minibatch of an
 * epoch's permutation. Works on float and int32 tensors; the gradient adds up at repeated rows.
 */
export function gather(x: Tensor, index: Tensor | readonly number[] | Int32Array, options: { offset?: number; rows?: number } = {}): Tensor {
  const i = labelTensor('gather', index);
  const offset = options.offset ?? 0;
  const rows = options.rows ?? i.size - offset;
  return apply(op.gather, [x, i], { offset, rows });
}

/** Fraction of rows of scores [N, C] whose first maximum is at the int32 label (a scalar of the scores' type, no gradient). */
export function accuracy(scores: Tensor, labels: Tensor | readonly number[] | Int32Array): Tensor {
  const l = labelTensor('accuracy', labels);
  return apply(op.accuracy, [scores, l], {});
}

/** Sum of squares of all elements: the L2 regulariser. */
export const l2 = (x: Tensor) => apply(op.l2, [x], {});

/** Throws an OpError unless x is a Tensor (before its shape is read). */
function tensorArg(opName: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) fail(opName, `x must be a Tensor, got ${Array.isArray(x) ? 'an array (wrap it with cr.tensor)' : x === null ? 'null' : typeof x}`);
  return x;
}

function binary(spec: AnyOpSpec, a: TensorLike, b: TensorLike): Tensor {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  return apply(spec, [constant(spec.name, a, like), constant(spec.name, b, like)], {});
}

/** A number becomes a scalar constant of the other operand's float type (so float64 stays exact). */
function constant(opName: string, v: TensorLike, like: Tensor | undefined): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') fail(opName, `operands must be Tensors or numbers, got ${Array.isArray(v) ? 'an array (wrap it with cr.tensor)' : typeof v}`);
  return scalar(v, like && isFloat(like.dtype) ? like.dtype : 'float32');
}

function labelTensor(opName: string, labels: Tensor | readonly number[] | Int32Array): Tensor {
  if (labels instanceof Tensor) return labels;
  if (!Array.isArray(labels) && !(labels instanceof Int32Array)) fail(opName, `labels must be an int32 Tensor or an array of integers`);
  const values = Int32Array.from(labels as ArrayLike<number>);
  values.forEach((v, i) => {
    if (v !== (labels as ArrayLike<number>)[i]) fail(opName, `label ${(labels as ArrayLike<number>)[i]} at index ${i} is not a 32-bit integer`);
  });
  return fromValues(values, [values.length]);
}
