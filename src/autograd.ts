/** Reverse-mode autodiff over graph values, as in the lecture: VJP nodes in reverse topological order. */
import { allocate, isFloat } from './dtype.ts';
import { fail } from './errors.ts';
import { noteRoot } from './executor.ts';
import { postOrder, record, vjpOf, type Value } from './graph.ts';
import { noGrad } from './grad-mode.ts';
import { add } from './ops/add.ts';
import { reshape } from './ops/reshape.ts';
import { sum } from './ops/sum.ts';
import { formatShape, sameShape, sizeOf, type Shape } from './shape.ts';
import { isCachedConstant, scalar, upload } from './values.ts';

/**
 * Visits nodes in reverse topological order, applies each op's VJP to the incoming cotangent (no
 * Jacobian is built), sums a broadcast cotangent back to the input's shape, and adds cotangents where
 * a value feeds several nodes. Leaves (and values with retainGrad) accumulate into .grad. The VJPs are
 * recorded lazily and computed when a gradient is read. `seed` defaults to 1 for a one-element root.
 */
export function backward(root: Value, seed?: Value): void {
  if (!root.requiresGrad) {
    fail('backward', `${root} does not require grad: none of its inputs has { requiresGrad: true }, or it was computed inside noGrad()`);
  }
  if (seed === undefined) {
    if (sizeOf(root.shape) !== 1) {
      fail('backward', `output of shape ${formatShape(root.shape)} is not a scalar: pass a seed gradient of the same shape, loss.backward(seed)`);
    }
    const dtype = isFloat(root.dtype) ? root.dtype : 'float32';
    seed = root.shape.length === 0 ? scalar(1, dtype) : upload(allocate(dtype, 1).fill(1), root.shape);
  } else if (!sameShape(seed.shape, root.shape)) {
    fail('backward', `seed gradient shape ${formatShape(seed.shape)} differs from the output shape ${formatShape(root.shape)}`);
  }
  root.keep = root.keep === 'grad' ? 'grad' : 'result'; // the loss: users read it after the step
  noteRoot(root);
  const grads = new Map<Value, Value>([[root, seed]]);
  noGrad(() => {
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      const dy = grads.get(v)!;
      grads.delete(v);
      if (v.isLeaf || v.retainsGrad) {
        const g = v.grad ? record(add.spec, [v.grad, dy], {}) : dy;
        setGrad(v, g);
        g.gradUnseen = g !== seed && !isCachedConstant(g); // the user's seed stays theirs
      }
      if (v.isLeaf || v.node?.kind !== 'fwd') continue;
      v.backwardDone = true;
      checkSaved(v);
      const { op, reads: inputs } = v.node;
      op.inputs.forEach((spec, wrt) => {
        const x = inputs[wrt];
        if (!spec.differentiable || !x.requiresGrad) return;
        const dx = unbroadcast(vjpOf(v, wrt, dy), x.shape);
        const before = grads.get(x);
        grads.set(x, before ? record(add.spec, [before, dx], {}) : dx); // gradients add at branches
      });
    }
  });
}

/**
 * d root / d v for every value v on root's path (a scalar root), as pending values: what
 * backward() computes, for every node rather than only the leaves, and without touching .grad or
 * anything backward() marks (cr.graph shows them). Values read later must not have changed in place.
 */
export function gradientsOf(root: Value): Map<Value, Value> {
  if (!root.requiresGrad || sizeOf(root.shape) !== 1) fail('graph', `gradients need a scalar root that requires grad, got ${root}`);
  const dtype = isFloat(root.dtype) ? root.dtype : 'float32';
  const all = new Map<Value, Value>([[root, root.shape.length === 0 ? scalar(1, dtype) : upload(allocate(dtype, 1).fill(1), root.shape)]]);
  noGrad(() => {
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      const dy = all.get(v)!;
      if (v.isLeaf || v.node?.kind !== 'fwd') continue;
      const { op, reads: inputs } = v.node;
      op.inputs.forEach((spec, wrt) => {
        const x = inputs[wrt];
        if (!spec.differentiable || !x.requiresGrad) return;
        const dx = unbroadcast(vjpOf(v, wrt, dy), x.shape);
        const before = all.get(x);
        all.set(x, before ? record(add.spec, [before, dx], {}) : dx);
      });
    }
  });
  return all;
}

/**
 * Sets v's gradient. Replacing one that only autograd ever held (zeroGrad, or accumulation) frees
 * its memory at once rather than at garbage collection: a repeated step then gets the same buffers
 * back, and its bind groups are reused (plan reuse).
 */
export function setGrad(v: Value, g: Value | null): void {
  const old = v.grad;
  if (g) g.keep = 'grad';
  v.grad = g;
  if (old && old !== g && old.gradUnseen && old.uses === 0 && old.storage) old.release();
}

/**
 * Throws if an input that v's VJP reads was changed in place (an optimizer step) after v was
 * recorded: the gradient would be taken at the new value (PyTorch raises too).
 */
function checkSaved(v: Value): void {
  if (!v.readVersions) return;
  const { op, reads: inputs } = v.node!;
  for (const i of op.saves.inputs) {
    const x = inputs[i];
    if (x.version === v.readVersions[i]) continue;
    fail(
      'backward',
      `${v}${v.madeAt} (${op.name}) needs ${x}${x.madeAt} as it was when recorded, but an optimizer step has changed it in place since ` +
        `(version ${v.readVersions[i]}, now ${x.version}): call backward() before opt.step(), or compute the loss again`,
    );
  }
}

/** Values that require grad and lead to root, inputs before outputs. */
function topologicalOrder(root: Value): Value[] {
  return postOrder([root], (v) => {
    if (v.isLeaf || v.node?.kind !== 'fwd') return [];
    const { op, reads } = v.node;
    return reads.filter((x, i) => op.inputs[i].differentiable && x.requiresGrad);
  });
}

/** Sums a cotangent of a broadcast shape back to the shape of the input that was broadcast. */
export function unbroadcast(g: Value, shape: Shape): Value {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length > 0 ? record(sum.spec, [g], { axes, keepdims: true }) : g;
  return sameShape(summed.shape, shape) ? summed : record(reshape.spec, [summed], { shape });
}
