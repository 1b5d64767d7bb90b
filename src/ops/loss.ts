/** Shape rule and test cases shared by the classification losses. */
import { fail } from '../errors.ts';
import { formatShape } from '../shape.ts';
import type { Meta, TestCase } from './spec.ts';

/** Shape rule of the classification losses: scores [N, C] with N > 0, labels [N]; the loss is a scalar. */
export function lossInfer(op: string, scores: Meta, labels: Meta): Meta {
  if (scores.shape.length !== 2) fail(op, `scores must be [N, C] (batch, classes), got ${formatShape(scores.shape)}`);
  const [n, c] = scores.shape;
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    fail(op, `labels must be [N] = [${n}] to match scores ${formatShape(scores.shape)}, got ${formatShape(labels.shape)}`);
  }
  if (n === 0) fail(op, `the batch is empty (scores ${formatShape(scores.shape)}): the mean loss is undefined`);
  if (c === 0) fail(op, `there are no classes (scores ${formatShape(scores.shape)})`);
  return { shape: [], dtype: scores.dtype };
}

/** Batches and class counts the losses are checked on. */
export const lossCases: readonly TestCase<never>[] = [
  { shapes: [[1, 1], [1]], classes: 1 },
  { shapes: [[1, 3], [1]], classes: 3 },
  { shapes: [[4, 3], [4]], classes: 3 },
  { shapes: [[7, 10], [7]], classes: 10 },
];
