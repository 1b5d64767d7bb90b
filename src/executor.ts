import { cpu } from './backend/cpu.ts';
import type { Backend, CheckSite, Storage } from './backend/backend.ts';
import { backendFor, checksNumerics, currentBackend, isVerifying } from './device.ts';
import { verifyNodes, type Computed } from './verify.ts';
import { assert, ChainruleError, fail as opError, NumericsError, OpError } from './errors.ts';
import { isFloat, type Values } from './dtype.ts';
import type { AnyUpdateSpec } from './ops/update.ts';
import { depsOf, type Node } from './graph.ts';
import { noGrad, takeRoots } from './autograd.ts';
import type { Tensor } from './tensor.ts';
import { formatShape } from './shape.ts';

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
/** How a plan runs: checked against the CPU (verify), guarded for NaN (numerics), with values moved in. */
export interface PlanOptions {
  /** Values of device tensors already copied to the host, for CPU-only nodes. */
  readonly transfers?: Map<Tensor, Storage>;
  readonly verify?: boolean;
  readonly numerics?: boolean;
  /** Pending tensors to compute in the same plan (e.g. the readers of a parameter about to change). */
  readonly also?: readonly Tensor[];
}

export function realize(targets: readonly Tensor[], options: PlanOptions = {}): void {
  const { transfers, verify = isVerifying(), numerics = checksNumerics(), also = [] } = options;
  for (const t of targets) t.assertUsable('realize');
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
  let next = 0;
  try {
    for (; next < order.length; next++) run(order[next], wanted, storageFor, verify, numerics);
  } catch (e) {
    // What this plan did not compute failed with it: reading it rethrows, and later plans (the next
    // step's pending readers) leave it out, so one failure does not poison the steps after it.
    for (const t of order.slice(next)) fail(t, e as Error);
    throw e;
  } finally {
    backend.endPlan();
  }
  for (const t of order) if (t.storage && t.isLeaf) t.node = null;
}

/** Computes one node and frees what no one will read again. */
function run(t: Tensor, wanted: ReadonlySet<Tensor>, storageFor: (b: Backend) => (t: Tensor) => Storage, verify: boolean, numerics: boolean): void {
  const node = t.node!;
  if (t.inputVersions) checkVersions(t);
  for (const d of depsOf(node)) if (d.storage && !d.storage.backend.live) d.assertUsable(node.op.name);
  const b = backendFor(t.dtype);
  b.checkSize(node.op.name, t);
  const site = node.op.validates && b !== cpu ? checkSite(node) : undefined;
  t.storage = b.run(node, t, storageFor(b), t.held ? 'grad' : wanted.has(t) || t.kept ? 'loose' : 'plan', site);
  t.computed = true;
  if (numerics && isFloat(t.dtype)) {
    const site = numericsSite(node, t);
    const found = b.checkFinite(t.storage, t.size, site);
    if (found) throw site.explain(found);
  }
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
    if (!wanted.has(d) && releasable(d)) free(d);
  }
  if (t.disposed && t.uses === 0) free(t); // disposed while pending: it was computed for its readers
}

/**
 * Where a device kernel that validates labels or indices reports: what it finds is explained by
 * running the op's own check on the same values (read again, recomputed if freed), so the error is
 * the CPU reference's, ending with the user's line that ran the plan.
 */
function checkSite(node: Node): CheckSite {
  const at = new Error(); // formatted only if something is found
  return {
    async explain(found) {
      const v = node.op.validates!;
      const [reads, metas] = node.kind === 'fwd' ? [node.inputs, node.inputs] : [node.x, node.xMeta];
      const t = reads[v.input];
      try {
        if (t && !t.disposed && !t.failed) v.check(await t.data(), metas, node.attrs);
      } catch (e) {
        if (e instanceof OpError) return new OpError(e.op, e.detail, at);
      }
      const more = found.count > 1 ? ` (and ${found.count - 1} more)` : '';
      return new OpError(node.op.name, `invalid label or index ${found.value} at position ${found.position}${more}`, at);
    },
  };
}

/** Where the numerics guard reports a NaN or infinity in t, the output of `node`. */
function numericsSite(node: Node, t: Tensor): CheckSite {
  const at = new Error(); // formatted only if something is found
  return {
    explain({ count, position, value }) {
      const what = node.kind === 'fwd' ? `${node.op.name} forward` : `${node.op.name} backward (VJP for input ${node.wrt})`;
      const inputs = depsOf(node).map((d) => formatShape(d.shape)).join(', ');
      return new NumericsError(
        `checkNumerics: ${what} made ${count} non-finite value${count === 1 ? '' : 's'} in ${formatShape(t.shape)} from ${inputs}; ` +
          `the first, at element ${position}, is ${value}${t.madeAt}`,
        at,
      );
    },
  };
}

function free(t: Tensor): void {
  t.storage!.backend.release(t.storage!);
  t.storage = null;
  if (t.disposed) t.node = null;
}

/** Marks a tensor a failed plan did not compute: it keeps the error, and lets go of its inputs. */
function fail(t: Tensor, error: Error): void {
  if (t.storage || !t.node) return;
  t.failed = error;
  for (const d of depsOf(t.node)) {
    d.uses = Math.max(0, d.uses - 1);
    if (releasable(d)) free(d);
  }
  t.node = null;
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
  realize([...updates.flatMap((u) => [u.param, u.grad, ...u.state]), ...takeRoots()], { also: readers });
  for (const u of updates) {
    const b = backendFor(u.param.dtype);
    // Made before init() picked the device: move it once.
    const onDevice = (t: Tensor): Storage => {
      if (t.storage!.backend !== b) t.storage = b.upload(cpu.peek(t.storage!)!);
      return t.storage!;
    };
    // Shared (a detach(), a stateDict()): copy first, so what was read before this step keeps its value.
    const own = (t: Tensor): Storage => (t.storage = b.own(onDevice(t)));
    b.update(u.spec, u.hyper, u.param.size, onDevice(u.grad), own(u.param), u.state.map(own));
    for (const t of [u.param, ...u.state]) t.version++;
  }
  currentBackend().endPlan();
}

/** Tensors recorded but not computed yet that read the given (tracked) tensors; prunes the lists. */
function pendingReaders(tensors: readonly Tensor[]): Tensor[] {
  const readers: Tensor[] = [];
  for (const t of tensors) {
    const alive = (t.readers ?? []).map((r) => r.deref()).filter((r): r is Tensor => !!r && !r.computed && !r.failed && !!r.node);
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
  if (value.dtype !== p.dtype) opError('assign', `value is ${value.dtype}, the parameter ${p} is ${p.dtype}`);
  const copy = noGrad(() => value.reshape(p.shape)); // the reshape kernel copies: the parameter owns its buffer
  realize([copy], { also: pendingReaders([p]) });
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
    opError(t.node!.op.name, `${t}${where} reads ${d}, which an optimizer step changed in place after this tensor was recorded; compute it before opt.step() (cr.realize([...]) or await t.data()), or record it again`);
  });
}

/**
 * Computes the given tensors together, as one plan (one submit on a GPU): e.g. a training step's
 * updated parameters, so forward, backward and update share one command buffer.
 */
export function realizeAll(tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) opError('realize', `expects an array of tensors, got ${tensors === null ? 'null' : typeof tensors}`);
  tensors.forEach((t, i) => {
    if (!(typeof t === 'object' && t !== null && 'assertUsable' in t)) opError('realize', `element ${i} is not a Tensor, got ${t === null ? 'null' : typeof t}`);
  });
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

/**
 * Computes t and starts copying its value to the host at once: the copy is ordered before anything
 * recorded after this call, so the read sees the value as of the call even if steps follow before
 * the promise resolves.
 */
export function read(t: Tensor, options: { verify?: boolean; checkNumerics?: boolean } = {}): Promise<Values> {
  t.assertUsable('data');
  const plan = { verify: options.verify ?? isVerifying(), numerics: options.checkNumerics ?? checksNumerics() };
  const transfers = hostTransfers(t, plan);
  if (transfers) return readThroughHost(t, transfers, plan);
  realize([t], plan);
  const s = t.storage!;
  const values = s.backend.read(s, t);
  return plan.verify ? values.then(async (v) => (await verifyPending(), v)) : values;
}

/**
 * Device values that CPU-only (float64) nodes pending for t read: computed, and their copies to the
 * host started, now; undefined when there are none. No float32 op reads a float64 value, so these
 * never wait on the CPU part.
 */
function hostTransfers(t: Tensor, plan: PlanOptions): Map<Tensor, Promise<Values>> | undefined {
  if (currentBackend() === cpu) return undefined;
  const needed = new Set<Tensor>();
  for (const p of pendingOrder([t])) {
    if (backendFor(p.dtype) !== cpu) continue;
    for (const d of depsOf(p.node!)) if (backendFor(d.dtype) !== cpu) needed.add(d);
  }
  if (needed.size === 0) return undefined;
  realize([...needed], plan);
  return new Map([...needed].map((d) => [d, d.storage!.backend.read(d.storage!, d)]));
}

async function readThroughHost(t: Tensor, transfers: Map<Tensor, Promise<Values>>, plan: PlanOptions): Promise<Values> {
  const onHost = new Map<Tensor, Storage>();
  for (const [d, values] of transfers) onHost.set(d, cpu.upload(await values));
  realize([t], { ...plan, transfers: onHost });
  if (plan.verify) await verifyPending();
  return t.storage!.backend.read(t.storage!, t);
}

function releasable(t: Tensor): boolean {
  if (!t.storage || t.uses > 0) return false;
  return t.disposed || (!!t.node && !t.held && !t.kept && (!t.requiresGrad || t.backwardDone));
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
    if (t.failed) throw t.failed;
    assert(t.node, `${t} has neither a value nor a node`);
    stack.push([t, true]);
    for (const d of depsOf(t.node)) if (!d.storage && !seen.has(d)) stack.push([d, false]);
  }
  return order;
}
