import { assert } from './errors.ts';
import { depsOf } from './graph.ts';
import { currentBackend } from './device.ts';
import type { Tensor } from './tensor.ts';

/**
 * Computes every pending tensor the targets depend on, inputs before outputs.
 * Invariant: a tensor has storage once realized; its node is dropped then unless autograd still
 * needs it (a non-leaf), so finished work does not keep its inputs alive.
 */
export function realize(targets: readonly Tensor[]): void {
  const backend = currentBackend();
  for (const t of pendingOrder(targets)) {
    t.storage = backend.run(t.node!, t);
    if (t.isLeaf) t.node = null; // autograd walks the nodes of non-leaves only
  }
}

/** Unrealized tensors reachable from the targets, in topological order (iterative: graphs can be deep). */
function pendingOrder(targets: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = targets.map((t) => [t, false]);
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (t.storage || seen.has(t)) continue;
    seen.add(t);
    assert(t.node, `${t} has neither a value nor a node`);
    stack.push([t, true]);
    for (const d of depsOf(t.node)) if (!d.storage && !seen.has(d)) stack.push([d, false]);
  }
  return order;
}
