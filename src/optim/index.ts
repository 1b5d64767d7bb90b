/** cr.optim: optimizers as in torch.optim, each update one fused in-place kernel per parameter. */
export { Optimizer } from './optimizer.ts';
export { SGD, type SgdOptions } from './sgd.ts';
export { Adam, type AdamOptions } from './adam.ts';
export { cosineLr, stepLr, type LrSchedule } from './schedule.ts';
