import { cpu } from './backend/cpu.ts';
import type { Backend, Storage } from './backend/backend.ts';
import { backendFor, currentBackend, isVerifying } from './device.ts';
import { verifyNodes, type Computed } from './verify.ts';
import { assert, ChainruleError, fail } from './errors.ts';
import type { AnyUpdateSpec } from './ops/update.ts';
import { depsOf } from './graph.ts';
import { noGrad, takeRoots } from './autograd.ts';
import type { Tensor } from './tensor.ts';

/**
 * Runs pending nodes as one plan: topological order, one submit on a GPU.
 * Invariants:
 * - a tensor's `uses` counts the unrealized nodes that read it;
 * - a value computed by a plan is released at its last use when nothing can still need it: it is
 *   not a target, no pending node reads it, it is not a gradient in .grad or kept, and autograd is
 *   done with it. Its node stays, so reading it later recomputes it from its inputs (recomputed in
 *   turn if they were freed too; leaves are never freed by a plan, and are immutable);
 * - values that survive a plan drop their node if they are leaves, so finished work does not keep
 *   its inputs alive.
 */
export function realize(targets: readonly Tensor[], transfers?: Map<Tensor, Storage>, verify = isVerifying(), also: readonly Tensor[] = []): void {
  const order = pendingOrder([...targets, ...also]);
  if (order.length === 0) return;
  const wanted = new Set(targets);
  const backend = currentBackend();
  const storageFor = (b: Backend) => (t: Tensor): Storage => {
    const s = t.storage!;
    if (s.backend === b) return s;
    const moved = transfers?.get(t) ?? (b !== cpu ? b.upload(cpu.peek(s)!) : undefined);
    if (!moved) throw new ChainruleError(`${t} lives on ${s.backend.name} and is needed on ${b.name}: read it with await t.data()`);
    transfers?.set(t, moved);
    return moved;
  };
  for (const t of order) {
    const node = t.node!;
    if (t.inputVersions) checkVersions(t);
    const b = backendFor(t.dtype);
    b.checkSize(node.op.name, t);
    t.storage = b.run(node, t, storageFor(b), t.held ? 'grad' : wanted.has(t) || t.kept ? 'loose' : 'plan');
    t.computed = true;
    if (verify && b !== cpu) {
      // Keep this node's inputs and output (shared, so frees below cannot recycle them) for verifyPending.
      const inputs = new Map<Tensor, Storage>([[t, b.share(t.storage)]]);
      for (const d of depsOf(node)) {
        const s = storageFor(b)(d);
        inputs.set(d, s.backend.share(s));
      }
      unverified.push({ t, node, inputs });
    }
    for (const d of depsOf(node)) {
      d.uses = Math.max(0, d.uses - 1); // a recomputed value's inputs were counted down once already
      if (!wanted.has(d) && releasable(d)) {
        d.storage!.backend.release(d.storage!);
        d.storage = null;
      }
    }
  }
  backend.endPlan();
  for (const t of order) if (t.storage && t.isLeaf) t.node = null;
}

/** An optimizer update of one parameter: the spec's kernel rewrites param and state in place from grad. */
export interface Update {
  readonly spec: AnyUpdateSpec;
  readonly hyper: unknown;
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly state: readonly Tensor[];
}

/**
 * Applies optimizer updates in place, in the same plan as what they read: the gradients, and every
 * pending tensor that reads a parameter's old value (computed first, so the lazy graph keeps eager
 * semantics). Bumps the versions of what it rewrites, so a node recorded earlier that would read a
 * new value fails instead (checkVersions).
 */
export function applyUpdates(updates: readonly Update[]): void {
  const readers = pendingReaders(updates.flatMap((u) => [u.param, ...u.state]));
  // The losses are computed too (a single dispatch each): they are read after the step, and a
  // pending loss would hold its logits until garbage collection, breaking plan reuse.
  realize([...updates.flatMap((u) => [u.param, u.grad, ...u.state]), ...takeRoots()], undefined, isVerifying(), readers);
  for (const u of updates) {
    const b = backendFor(u.param.dtype);
    const own = (t: Tensor): Storage => {
      const s = t.storage!;
      if (s.backend === b) return s;
      t.storage = b.upload(cpu.peek(s)!); // made before init() picked the device: move it once
      return t.storage;
    };
    b.update(u.spec, u.hyper, u.param.size, own(u.grad), own(u.param), u.state.map(own));
    for (const t of [u.param, ...u.state]) t.version++;
  }
  currentBackend().endPlan();
}

/** Tensors recorded but not computed yet that read the given (tracked) tensors; prunes the lists. */
function pendingReaders(tensors: readonly Tensor[]): Tensor[] {
  const readers: Tensor[] = [];
  for (const t of tensors) {
    const alive = (t.readers ?? []).map((r) => r.deref()).filter((r): r is Tensor => !!r && !r.computed);
    readers.push(...alive);
    if (t.readers) t.readers = alive.map((r) => new WeakRef(r)); // computed or collected readers are done
  }
  return readers;
}

/**
 * Overwrites a parameter with a copy of `value` (same shape and dtype), in place: the tensor (and an
 * optimizer holding it) stays the same. Pending readers of the old value are computed first.
 */
export function assign(p: Tensor, value: Tensor): void {
  if (value.dtype !== p.dtype) fail('assign', `value is ${value.dtype}, the parameter ${p} is ${p.dtype}`);
  const copy = noGrad(() => value.reshape(p.shape)); // the reshape kernel copies: the parameter owns its buffer
  realize([copy], undefined, isVerifying(), pendingReaders([p]));
  const old = p.storage;
  p.storage = copy.storage!.backend.share(copy.storage!);
  old?.backend.release(old);
  p.version++;
}

/** Throws if an input of t's node was updated in place after the node was recorded. */
function checkVersions(t: Tensor): void {
  const deps = depsOf(t.node!);
  deps.forEach((d, i) => {
    if (d.version === t.inputVersions![i]) return;
    const where = t.origin ? ` (made at ${t.origin})` : '';
    fail(t.node!.op.name, `${t}${where} reads ${d}, which an optimizer step changed in place after this tensor was recorded; compute it before opt.step() (cr.realize([...]) or await t.data()), or record it again`);
  });
}

/**
 * Computes the given tensors together, as one plan (one submit on a GPU): e.g. a training step's
 * updated parameters, so forward, backward and update share one command buffer.
 */
export function realizeAll(tensors: readonly Tensor[]): void {
  realize(tensors);
}

// Nodes computed on the device in verify mode, checked at the next await (data(), sync()).
const unverified: Computed[] = [];

/** Checks the nodes computed since the last check against the CPU reference (verify mode). */
export async function verifyPending(): Promise<void> {
  const batch = unverified.splice(0);
  try {
    await verifyNodes(batch);
  } finally {
    for (const { inputs } of batch) for (const s of inputs.values()) s.backend.release(s);
  }
}

/** Like realize, but first copies GPU values that float64 (CPU-only) nodes need to the host. */
export async function realizeAsync(targets: readonly Tensor[], verify = isVerifying()): Promise<void> {
  const backend = currentBackend();
  const transfers = new Map<Tensor, Storage>();
  if (backend !== cpu) {
    // Device values that CPU-only (float64) nodes read: compute them first (no float32 op reads a
    // float64 value, so they never wait on the CPU part), then copy them to the host.
    const needed = new Set<Tensor>();
    for (const t of pendingOrder(targets)) {
      if (backendFor(t.dtype) !== cpu) continue;
      for (const d of depsOf(t.node!)) if (backendFor(d.dtype) !== cpu) needed.add(d);
    }
    realize([...needed], undefined, verify);
    for (const d of needed) transfers.set(d, cpu.upload(await d.storage!.backend.read(d.storage!, d)));
  }
  realize(targets, transfers, verify);
  if (verify) await verifyPending();
}

function releasable(t: Tensor): boolean {
  return !!t.storage && !!t.node && t.uses === 0 && !t.held && !t.kept && (!t.requiresGrad || t.backwardDone);
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
