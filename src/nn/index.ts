/** cr.nn: layers and models with torch.nn's names, losses with L2, and on-device running metrics. */
export { Module, Sequential, ReLU } from './module.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { MLP } from './mlp.ts';
export { Conv2d, MaxPool2d, AvgPool2d, Flatten, Unflatten, cnn, type Conv2dOptions, type Pool2dOptions } from './conv.ts';
export { softmaxCrossEntropy, svmLoss, type RegOptions } from './losses.ts';
export { RunningMean } from './metrics.ts';
export { fit, evaluate, type FitOptions, type FitResult, type Progress } from './fit.ts';
