/** The labels check shared by the classification ops. */
import { fail } from '../errors.ts';
import type { Values } from '../dtype.ts';
import type { Validates } from './spec.ts';

/** Throws naming the op, the position and the value of the first label outside [0, classes). */
export function checkLabels(op: string, labels: Values, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < classes)) {
      fail(op, `label ${c} at index ${i} is out of range for ${classes} classes (labels must be in [0, ${classes - 1}])`);
    }
  }
}

/** The labels check of an op over scores [N, C] and int32 labels [N] (input 1). */
export function classLabels(op: string): Validates<unknown> {
  return { input: 1, check: (labels, [scores]) => checkLabels(op, labels, scores.shape[1]) };
}
