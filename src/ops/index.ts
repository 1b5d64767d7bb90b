/**
 * Every op, one line each: cr.<name> and the Tensor method of the same name come from here (and
 * the registry, src/ops/registry.ts, lists their specs for the tests and benchmarks). Adding an op is
 * its spec file, its shader file and a line here.
 */
export { abs } from './abs.ts';
export { accuracy } from './accuracy.ts';
export { add } from './add.ts';
export { argmax } from './argmax.ts';
export { avgPool2d } from './avg_pool2d.ts';
export { clamp } from './clamp.ts';
export { conv2d } from './conv2d.ts';
export { div } from './div.ts';
export { exp } from './exp.ts';
export { flatten } from './flatten.ts';
export { gather } from './gather.ts';
export { l2 } from './l2.ts';
export { leakyRelu } from './leaky_relu.ts';
export { log } from './log.ts';
export { logSoftmax } from './log_softmax.ts';
export { matmul } from './matmul.ts';
export { max } from './max.ts';
export { maxPool2d } from './max_pool2d.ts';
export { maximum } from './maximum.ts';
export { mean } from './mean.ts';
export { minimum } from './minimum.ts';
export { mul } from './mul.ts';
export { neg } from './neg.ts';
export { oneHot } from './one_hot.ts';
export { pow } from './pow.ts';
export { reciprocal } from './reciprocal.ts';
export { relu } from './relu.ts';
export { reshape } from './reshape.ts';
export { sigmoid } from './sigmoid.ts';
export { softmax } from './softmax.ts';
export { softmaxCrossEntropy } from './softmax_cross_entropy.ts';
export { softplus } from './softplus.ts';
export { sqrt } from './sqrt.ts';
export { square } from './square.ts';
export { sub } from './sub.ts';
export { sum } from './sum.ts';
export { svmLoss } from './svm_loss.ts';
export { tanh } from './tanh.ts';
export { transpose } from './transpose.ts';
export { where } from './where.ts';
