/** Learning-rate schedules for cr.nn.fit's `lr` option: the rate of each step from the step's number. */
import { fail } from '../errors.ts';

/** A learning rate for step `step` (0-based, over all epochs) of `totalSteps`. */
export type LrSchedule = (step: number, totalSteps: number) => number;

/**
 * Cosine annealing (torch.optim.lr_scheduler.CosineAnnealingLR over the whole run): from `lr` at the
 * first step down to `final` (default 0) at the last, along half a cosine.
 */
export function cosineLr(lr: number, options: { final?: number } = {}): LrSchedule {
  const final = options.final ?? 0;
  for (const [name, v] of [
    ['lr', lr],
    ['final', final],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('cosineLr', `${name} must be a finite number >= 0, got ${v}`);
  }
  return (step, totalSteps) => final + ((lr - final) * (1 + Math.cos((Math.PI * step) / Math.max(totalSteps - 1, 1)))) / 2;
}

/** Step decay (torch.optim.lr_scheduler.StepLR): `lr` times `gamma` after every `stepSize` steps. */
export function stepLr(lr: number, stepSize: number, gamma: number): LrSchedule {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) fail('stepLr', `lr must be a finite number >= 0, got ${lr}`);
  if (!Number.isInteger(stepSize) || stepSize < 1) fail('stepLr', `stepSize must be a positive integer, got ${stepSize}`);
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma < 0) fail('stepLr', `gamma must be a finite number >= 0, got ${gamma}`);
  return (step) => lr * gamma ** Math.floor(step / stepSize);
}
