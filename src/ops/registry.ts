/** The registry: every op's spec (from ops/index.ts) and every optimizer update, for the tests and benchmarks to iterate. */
import { adam } from './adam.ts';
import * as ops from './index.ts';
import { sgd } from './sgd.ts';
import type { AnyOpSpec } from './spec.ts';
import type { AnyUpdateSpec } from './update.ts';

/** Every op's spec, once: tests and benchmark pages iterate this list, so a new op needs no test or bench edits. */
export const registry: readonly AnyOpSpec[] = Object.values(ops).map((op) => op.spec);

/** Every optimizer update (fused, in place), once; tests iterate it as they do the registry. */
export const updates: readonly AnyUpdateSpec[] = [sgd, adam];
