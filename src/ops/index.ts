import { accuracy } from './accuracy.ts';
import { add } from './add.ts';
import { div } from './div.ts';
import { exp } from './exp.ts';
import { gather } from './gather.ts';
import { l2 } from './l2.ts';
import { log } from './log.ts';
import { log_softmax } from './log_softmax.ts';
import { matmul } from './matmul.ts';
import { max } from './max.ts';
import { maximum } from './maximum.ts';
import { mean } from './mean.ts';
import { minimum } from './minimum.ts';
import { mul } from './mul.ts';
import { neg } from './neg.ts';
import { one_hot } from './one_hot.ts';
import { pow } from './pow.ts';
import { reciprocal } from './reciprocal.ts';
import { relu } from './relu.ts';
import { reshape } from './reshape.ts';
import { sigmoid } from './sigmoid.ts';
import { softmax } from './softmax.ts';
import { softmax_cross_entropy } from './softmax_cross_entropy.ts';
import { sqrt } from './sqrt.ts';
import { sub } from './sub.ts';
import { sum } from './sum.ts';
import { svm_loss } from './svm_loss.ts';
import { tanh } from './tanh.ts';
import { transpose } from './transpose.ts';
import type { AnyOpSpec } from './spec.ts';
import { adam } from './adam.ts';
import { sgd } from './sgd.ts';
import type { AnyUpdateSpec } from './update.ts';

/** Every op, once. Tests and benchmarks iterate this list: a new op needs one line here and nothing else. */
export const registry: readonly AnyOpSpec[] = [
  add, sub, mul, div, maximum, minimum,
  neg, exp, log, sqrt, reciprocal, sigmoid, tanh, relu, pow,
  matmul, transpose, reshape, gather,
  sum, mean, max,
  softmax, log_softmax, one_hot, softmax_cross_entropy, svm_loss, l2, accuracy,
];

/** Every optimizer update (fused, in place), once; tests iterate it as they do the registry. */
export const updates: readonly AnyUpdateSpec[] = [sgd, adam];

export { accuracy, add, div, exp, gather, l2, log, log_softmax, matmul, max, maximum, mean, minimum, mul, neg, one_hot, pow, reciprocal, relu, reshape, sigmoid, softmax, softmax_cross_entropy, sqrt, sub, sum, svm_loss, tanh, transpose, sgd, adam };
