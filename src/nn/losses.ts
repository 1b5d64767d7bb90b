/** The classification losses of cr.nn, with L2 regularisation. */
import { fail } from '../errors.ts';
import * as api from '../ops/index.ts';
import type { Tensor } from '../tensor.ts';

/** L2 regularisation as in the lecture's SVM/softmax assignment: loss + reg * sum of W^2 over `weights`. */
export interface RegOptions {
  /** Strength; default 0 (no penalty). */
  reg?: number;
  /** The weights to penalise, e.g. model.weights() (biases are usually left out). */
  weights?: readonly Tensor[];
}

/** Mean softmax cross-entropy of scores [N, C] against int32 labels [N], plus optional L2. */
export function softmaxCrossEntropy(scores: Tensor, labels: Tensor, options: RegOptions = {}): Tensor {
  return regularised('softmaxCrossEntropy', api.softmaxCrossEntropy(scores, labels), options);
}

/** Mean multiclass SVM (hinge) loss with the given margin (default 1), plus optional L2. */
export function svmLoss(scores: Tensor, labels: Tensor, options: RegOptions & { margin?: number } = {}): Tensor {
  return regularised('svmLoss', api.svmLoss(scores, labels, { margin: options.margin }), options);
}

function regularised(name: string, loss: Tensor, { reg = 0, weights }: RegOptions): Tensor {
  if (!(typeof reg === 'number' && Number.isFinite(reg) && reg >= 0)) fail(name, `reg must be a finite number >= 0, got ${reg}`);
  if (reg === 0) return loss;
  if (!weights || weights.length === 0) fail(name, `reg ${reg} needs the weights to penalise: { reg, weights: model.weights() }`);
  return weights.reduce((total, w) => total.add(api.l2(w).mul(reg)), loss);
}
