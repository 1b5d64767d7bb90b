import { fail } from './errors.ts';
import type { Backend } from './backend/backend.ts';
import { currentBackend } from './device.ts';
import { formatShape, sameShape, type Shape } from './shape.ts';
import { vjpOf } from './graph.ts';
import { isFloat } from './dtype.ts';
import { isCachedConstant, Tensor } from './tensor.ts';

let gradEnabled = true;
// Roots of backward() calls (losses) not computed yet: an optimizer step computes them in its plan.
let roots: { ref: WeakRef<Tensor>; device: Backend }[] = [];

/** Takes the losses that backward() was called on since the last call, still alive and not computed. */
export function takeRoots(): Tensor[] {
  // Losses recorded on a device released since (another init) cannot be computed: they are dropped.
  const device = currentBackend();
  const alive = roots.filter((r) => r.device === device).map((r) => r.ref.deref()).filter((t): t is Tensor => !!t && !t.computed && !t.failed);
  roots = [];
  return alive;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording gradients: results do not require grad (PyTorch's torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    const result = fn();
    // NOTE: the flag is global and synchronous: an async fn would run its later parts with grad on.
    if (result instanceof Promise) fail('noGrad', 'fn must be synchronous (it returned a Promise); await outside noGrad');
    return result;
  } finally {
    gradEnabled = before;
  }
}

/**
 * Reverse-mode autodiff, as in the lecture: visit nodes in reverse topological order, apply each
 * op's VJP to the incoming cotangent (no Jacobian is built), sum a broadcast cotangent back to the
 * input's shape, and add cotangents where a value feeds several nodes. Leaves (and tensors with
 * retainGrad) accumulate into .grad. The VJPs are recorded lazily and computed when a gradient is read.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) {
    fail('backward', `${root} does not require grad: none of its inputs has { requiresGrad: true }, or it was computed inside noGrad()`);
  }
  if (seed !== undefined && !(seed instanceof Tensor && isFloat(seed.dtype))) {
    fail('backward', `the seed gradient must be a float Tensor, got ${seed instanceof Tensor ? seed.dtype : Array.isArray(seed) ? 'an array (wrap it with cr.tensor)' : typeof seed}`);
  }
  if (seed === undefined) {
    if (root.size !== 1) {
      fail('backward', `output of shape ${formatShape(root.shape)} is not a scalar: pass a seed gradient of the same shape, loss.backward(seed)`);
    }
    seed = root.onesLike();
  } else if (!sameShape(seed.shape, root.shape)) {
    fail('backward', `seed gradient shape ${formatShape(seed.shape)} differs from the output shape ${formatShape(root.shape)}`);
  }
  root.kept = true; // the loss: users read it after the step
  if (!root.computed) roots.push({ ref: new WeakRef(root), device: currentBackend() });
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const dy = grads.get(t)!;
      grads.delete(t);
      if (t.isLeaf || t.retainsGrad) {
        const before = t.peekGrad();
        const g = before ? before.add(dy) : dy;
        g.ownedByGrad = g !== seed && !isCachedConstant(g); // the user's seed stays theirs
        t.grad = g;
      }
      if (t.isLeaf || t.node?.kind !== 'fwd') continue;
      t.backwardDone = true;
      const { op, inputs } = t.node;
      checkSaved(t);
      op.inputs.forEach((spec, wrt) => {
        const x = inputs[wrt];
        if (!spec.differentiable || !x.requiresGrad) return;
        const dx = unbroadcast(vjpOf(t, wrt, dy), x.shape);
        const before = grads.get(x);
        grads.set(x, before ? before.add(dx) : dx); // gradients add at branches
      });
    }
  });
}

/**
 * Throws if an input that t's VJP reads was changed in place (an optimizer step) after t was
 * recorded: the gradient would be taken at the new value (PyTorch raises too).
 */
function checkSaved(t: Tensor): void {
  const { op, inputs } = t.node as Extract<Tensor['node'], { kind: 'fwd' }>;
  if (!t.inputVersions) return;
  for (const i of op.saves.inputs) {
    const x = inputs[i];
    if (x.version === t.inputVersions[i]) continue;
    fail('backward', `${t}${t.madeAt} (${op.name}) needs ${x}${x.madeAt} as it was when recorded, but an optimizer step has changed it in place since ` +
      `(version ${t.inputVersions[i]}, now ${x.version}): call backward() before opt.step(), or compute the loss again`);
  }
}

/** Tensors that require grad and lead to root, inputs before outputs (iterative DFS). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue; // marked when expanded, not when pushed: keeps the order topological
    seen.add(t);
    stack.push([t, true]);
    if (t.isLeaf || t.node?.kind !== 'fwd') continue;
    const { op, inputs } = t.node;
    inputs.forEach((x, i) => {
      if (op.inputs[i].differentiable && x.requiresGrad && !seen.has(x)) stack.push([x, false]);
    });
  }
  return order;
}

/** Sums a cotangent of a broadcast shape back to the shape of the input that was broadcast. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length > 0 ? g.sum(axes, true) : g;
  return sameShape(summed.shape, shape) ? summed : summed.reshape(shape);
}
