/**
 * The executor: computes pending values as one plan on the current device, frees what no one will
 * read, applies optimizer updates in place, and reads values back in order.
 */
import type { Backend, CheckSite, FusedRef, FusedStep, KernelCall, Lane, Storage, UpdateItem } from './backend/backend.ts';
import { fuse, type Unit } from './fusion.ts';
import { cpu } from './backend/cpu.ts';
import { backendFor, checksNumerics, currentBackend, isFusing, isVerifying } from './device.ts';
import { isFloat, type Values } from './dtype.ts';
import { assert, ChainruleError, fail, here, NumericsError, OpError } from './errors.ts';
import { postOrder, record, type Node, type Value } from './graph.ts';
import { noGrad } from './grad-mode.ts';
import { reshape } from './ops/reshape.ts';
import type { AnyUpdateSpec } from './ops/update.ts';
import { formatShape, sizeOf } from './shape.ts';
import { verifyNodes, verifyUpdates, type Computed, type UpdateComputed } from './verify.ts';

/** How a plan runs: checked against the CPU (verify), guarded for NaN (numerics), with values moved in. */
export interface PlanOptions {
  /** Values of device values already copied to the host, for CPU-only (float64) nodes. */
  readonly transfers?: Map<Value, Storage>;
  readonly verify?: boolean;
  readonly numerics?: boolean;
  /** Pending values to compute in the same plan (e.g. the readers of a parameter about to change). */
  readonly also?: readonly Value[];
}

/**
 * Runs pending nodes as one plan: topological order, one submit on a GPU. Invariants:
 * - a value computed by a plan is freed at its last use when it is `freeable` (see graph.ts): no
 *   pending node reads it, it is not a target, kept, a gradient, or awaited by backward(). Its node
 *   stays, so reading it later recomputes it from its reads (recomputed in turn if they were freed
 *   too; leaves are never freed by a plan, and are immutable but for optimizer updates);
 * - values that survive a plan drop their node if they are leaves, so finished work does not keep
 *   its inputs alive;
 * - what a failing plan did not compute fails with it: reading it rethrows the error, and later
 *   plans leave it out, so one failure does not poison the steps after it.
 */
export function realize(targets: readonly Value[], options: PlanOptions = {}): void {
  const { transfers, verify = isVerifying(), numerics = checksNumerics(), also = [] } = options;
  for (const t of targets) t.assertUsable('realize');
  const order = pendingOrder([...targets, ...also]);
  if (order.length === 0) return;
  const wanted = new Set(targets);
  const backend = currentBackend();
  const storageFor =
    (b: Backend) =>
    (v: Value): Storage => {
      const s = v.storage!;
      if (s.backend === b) return s;
      if (!s.backend.live) v.assertUsable('realize'); // throws: its device is gone
      const moved = transfers?.get(v) ?? (b !== cpu ? b.upload(cpu.peek(s)!) : undefined);
      if (!moved) throw new ChainruleError(`${v} lives on ${s.backend.name} and is needed on ${b.name}: read it with await t.data()`);
      transfers?.set(v, moved);
      return moved;
    };
  const fusing = isFusing() && !!backend.runFused;
  const units: Unit[] = fusing
    ? fuse(order, (v) => backendFor(v.dtype) === backend && !viewOf(v.node!), backend.maxStorageBuffers)
    : order.map((value) => ({ kind: 'node', value }));
  const done = new Set<Value>();
  const plan: Plan = { wanted, storageFor, verify, numerics, done };
  try {
    for (const unit of units) {
      if (unit.kind === 'node') run(unit.value, plan);
      else if (unit.kind === 'pair') runPair(unit.fwd, unit.vjp, plan);
      else runFused(unit, plan);
    }
  } catch (e) {
    for (const v of order) if (!done.has(v)) markFailed(v, e as Error);
    throw e;
  } finally {
    backend.endPlan();
  }
  for (const v of order) if (v.storage && v.isLeaf) v.node = null;
}

/** What the units of one plan share: its targets, where values live, its checks, and what is done. */
interface Plan {
  readonly wanted: ReadonlySet<Value>;
  readonly storageFor: (b: Backend) => (v: Value) => Storage;
  readonly verify: boolean;
  readonly numerics: boolean;
  readonly done: Set<Value>;
}

/** The kernel call that computes `node` into a value of `out`'s shape, from the given storages. */
export function kernelCall(node: Node, out: Value, storageOf: (v: Value) => Storage, rest: Partial<KernelCall> = {}): KernelCall {
  const { op, kind, wrt, attrs, reads, inputs } = node;
  return { op, kind, wrt, attrs, reads: reads.map(storageOf), readMetas: reads, inputs, out, ...rest };
}

/** Computes one node and frees what no one will read again. */
function run(v: Value, plan: Plan): void {
  const node = v.node!;
  if (v.readVersions) checkVersions(v);
  const b = backendFor(v.dtype);
  b.checkSize(node.op.name, v);
  const storageOf = plan.storageFor(b);
  const source = viewOf(node);
  if (source) {
    // A kernel that only copies: the output shares its source's storage (a view; an in-place
    // update copies a shared storage first, so neither sees the other change).
    const s = storageOf(source);
    v.storage = s.backend.share(s);
  } else {
    const site = node.op.validates && b !== cpu ? checkSite(node) : undefined;
    v.storage = b.run(kernelCall(node, v, storageOf, { lane: laneOf(v, plan), site }));
    checked(v, b, plan);
  }
  finish(v, plan);
}

/** The pool lane of a value a plan computes: gradients, results and targets outlive the plan. */
function laneOf(v: Value, plan: Plan): Lane {
  return v.keep === 'grad' ? 'grad' : plan.wanted.has(v) || v.keep === 'result' ? 'loose' : 'plan';
}

/** Marks v computed and frees what no one will read again: its reads at their last use, and v if disposed. */
function finish(v: Value, plan: Plan): void {
  v.computed = true;
  plan.done.add(v);
  for (const r of v.node!.reads) {
    r.uses = Math.max(0, r.uses - 1); // a recomputed value's reads were counted down once already
    if (!plan.wanted.has(r) && r.freeable) free(r);
  }
  if (v.disposed && v.uses === 0) free(v); // disposed while pending: it was computed for its readers
}

/**
 * Runs an op's forward and its VJP for input 0 as one kernel (spec.fwdVjp), where the device can;
 * the values and checks are those of the two nodes run apart.
 */
function runPair(fwd: Value, vjp: Value, plan: Plan): void {
  for (const v of [fwd, vjp]) if (v.readVersions) checkVersions(v);
  const b = backendFor(fwd.dtype);
  const storageOf = plan.storageFor(b);
  const site = fwd.node!.op.validates ? checkSite(fwd.node!) : undefined;
  const [y, dx] = b.runFwdVjp!(
    kernelCall(fwd.node!, fwd, storageOf, { lane: laneOf(fwd, plan), site }),
    kernelCall(vjp.node!, vjp, storageOf, { lane: laneOf(vjp, plan) }),
  );
  fwd.storage = y;
  vjp.storage = dx;
  for (const v of [fwd, vjp]) checked(v, b, plan, `${fwd.node!.op.name}_fwd_vjp`);
  for (const v of [fwd, vjp]) finish(v, plan);
}

/**
 * Runs an anchor (matmul) and elementwise members as one generated kernel. A member's value is
 * written only if something reads it after the kernel (a later node, a target, backward(), a
 * gradient or result); verify and numerics modes write every value, so each is checked as its own
 * node would be.
 */
function runFused({ anchor, members, reduce }: Extract<Unit, { kind: 'fused' }>, plan: Plan): void {
  const all = [...(anchor ? [anchor] : []), ...members, ...(reduce ? [reduce] : [])];
  for (const v of all) if (v.readVersions) checkVersions(v);
  const b = backendFor(all[0].dtype);
  for (const v of all) b.checkSize(v.node!.op.name, v);
  const storageOf = plan.storageFor(b);
  const inside = new Map<Value, number>(); // reads of each value by the kernel's own members
  for (const m of [...members, ...(reduce ? [reduce] : [])]) for (const r of m.node!.reads) inside.set(r, (inside.get(r) ?? 0) + 1);
  const materialize = plan.verify || plan.numerics;
  const written = (v: Value) => materialize || plan.wanted.has(v) || v.keep !== 'plan' || v.awaitsBackward || v.uses > (inside.get(v) ?? 0);
  const inputs: Value[] = [];
  const ref = (r: Value): FusedRef => {
    if (r === anchor) return { anchor: true };
    const step = members.indexOf(r);
    if (step >= 0) return { step };
    if (!inputs.includes(r)) inputs.push(r);
    return { input: inputs.indexOf(r) };
  };
  const steps = members.map((m): FusedStep => {
    const { op, kind, wrt, reads } = m.node!;
    return { op, kind, wrt, args: reads.map(ref), lane: written(m) ? laneOf(m, plan) : undefined };
  });
  const kernelOf = anchor ?? reduce;
  const anchorWritten = !!kernelOf && written(kernelOf);
  const { op, kind, wrt, attrs, reads, inputs: metas } = (kernelOf?.node ?? {}) as Node;
  const out = b.runFused!({
    // A reduction reads a member, which the kernel computes as it loads: no storage is bound for it.
    anchor: anchor
      ? kernelCall(anchor.node!, anchor, storageOf, { lane: laneOf(anchor, plan) })
      : reduce && { op, kind, wrt, attrs, reads: [], readMetas: reads, inputs: metas, out: reduce, lane: laneOf(reduce, plan) },
    role: reduce ? 'prologue' : 'epilogue',
    loads: reduce ? members.indexOf(reduce.node!.reads[0]) : undefined,
    anchorWritten,
    shape: members[0].shape,
    inputs: inputs.map((v) => ({ storage: storageOf(v), meta: v })),
    steps,
  });
  if (kernelOf && out.anchor) kernelOf.storage = out.anchor;
  members.forEach((m, k) => {
    if (out.steps[k]) m.storage = out.steps[k]!;
  });
  const kernel = `fused:${all.map((v) => `${v.node!.op.name}${v.node!.kind === 'vjp' ? "'" : ''}`).join('+')}`;
  for (const v of all) if (v.storage) checked(v, b, plan, kernel);
  for (const v of all) finish(v, plan);
}

/** After a value's kernel: the numerics guard, and (verify) its reads and output kept for checking against the CPU. */
function checked(v: Value, b: Backend, plan: Plan, fusedIn?: string): void {
  const node = v.node!;
  if (plan.numerics && isFloat(v.dtype)) {
    const guard = numericsSite(node, v);
    const found = b.checkFinite(v.storage!, sizeOf(v.shape), guard);
    if (found) throw guard.explain(found);
  }
  if (plan.verify && b !== cpu) {
    // Keep this node's reads and output (shared, so the frees cannot recycle them) for verifyPending.
    const storageOf = plan.storageFor(b);
    const values = new Map<Value, Storage>([[v, b.share(v.storage!)]]);
    for (const r of node.reads) {
      const s = storageOf(r);
      values.set(r, s.backend.share(s));
    }
    unverified.push({ value: v, node, values, fusedIn });
  }
}

/** The read whose values a node's output is, unchanged (spec.identity), or undefined: it runs a kernel. */
export function viewOf(node: Node): Value | undefined {
  const identity = node.op.identity;
  if (!identity || !isFusing()) return undefined;
  if (node.kind === 'fwd') return identity.fwd ? node.reads[0] : undefined;
  return identity.vjp?.includes(node.wrt) ? node.reads[node.reads.length - 1] : undefined; // dy is read last
}

function free(v: Value): void {
  v.release();
  if (v.disposed) v.node = null;
}

/** Marks a value a failed plan did not compute: it keeps the error, and lets go of its reads. */
function markFailed(v: Value, error: Error): void {
  if (v.storage || !v.node) return;
  v.failed = error;
  for (const r of v.node.reads) {
    r.uses = Math.max(0, r.uses - 1);
    if (r.freeable) free(r);
  }
  v.node = null;
}

/**
 * Where a device kernel that validates labels or indices reports: what it finds is explained by
 * running the op's own check on the same values (read again, recomputed if freed), so the error is
 * the CPU reference's, ending with the user's line that ran the plan.
 */
function checkSite(node: Node): CheckSite {
  const at = here(); // formatted only if something is found
  return {
    async explain(found) {
      const check = node.op.validates!;
      const labels = node.reads.find((_, k) => kernelReadInput(node, k) === check.input);
      try {
        if (labels && !labels.disposed && !labels.failed) check.check(await read(labels), node.inputs, node.attrs);
      } catch (e) {
        if (e instanceof OpError) return new OpError(e.op, e.detail, at);
      }
      const more = found.count > 1 ? ` (and ${found.count - 1} more)` : '';
      return new OpError(node.op.name, `invalid label or index ${found.value} at position ${found.position}${more}`, at);
    },
  };
}

/** Which input of the op the node's k-th read is (undefined for y and dy). */
function kernelReadInput(node: Node, k: number): number | undefined {
  if (node.kind === 'fwd') return k;
  const saved = node.op.saves.inputs;
  return k < saved.length ? saved[k] : undefined;
}

/** Where the numerics guard reports a NaN or infinity in v, the output of `node`. */
function numericsSite(node: Node, v: Value): CheckSite {
  const at = here(); // formatted only if something is found
  return {
    explain({ count, position, value }) {
      const what = node.kind === 'fwd' ? `${node.op.name} forward` : `${node.op.name} backward (VJP for input ${node.wrt})`;
      const reads = node.reads.map((r) => formatShape(r.shape)).join(', ');
      return new NumericsError(
        `checkNumerics: ${what} made ${count} non-finite value${count === 1 ? '' : 's'} in ${formatShape(v.shape)} from ${reads}; ` +
          `the first, at element ${position}, is ${value}${v.madeAt}`,
        at,
      );
    },
  };
}

/** An optimizer update of one parameter: the spec's kernel rewrites param and state in place from grad. */
export interface Update {
  readonly spec: AnyUpdateSpec;
  readonly hyper: unknown;
  readonly param: Value;
  readonly grad: Value;
  readonly state: readonly Value[];
}

// Losses that backward() was called on and that are not computed yet: an optimizer step computes them
// in its plan (a single dispatch each), since they are read after the step, and a pending loss would
// hold its logits until garbage collection, breaking plan reuse.
let roots: { value: WeakRef<Value>; device: Backend }[] = [];

/** Notes a loss backward() was called on (see roots). */
export function noteRoot(v: Value): void {
  if (!v.computed) roots.push({ value: new WeakRef(v), device: currentBackend() });
}

/** The noted losses still alive and pending, on the current device (another init() drops the rest). */
function takeRoots(): Value[] {
  const device = currentBackend();
  const alive = roots.filter((r) => r.device === device).map((r) => r.value.deref());
  roots = [];
  return alive.filter((v): v is Value => !!v && !v.computed && !v.failed);
}

/**
 * Applies optimizer updates in place, in the same plan as what they read: the gradients, and every
 * pending value that reads a parameter's old value (computed first, so the lazy graph keeps eager
 * semantics). Bumps the versions of what it rewrites, so a node recorded earlier that would read a
 * new value fails instead (checkVersions).
 */
export function applyUpdates(updates: readonly Update[], verify = isVerifying()): void {
  const readers = pendingReaders(updates.flatMap((u) => [u.param, ...u.state]));
  realize([...updates.flatMap((u) => [u.param, u.grad, ...u.state]), ...takeRoots()], { also: readers });
  // Updates of one kind with the same hyperparameters go to the device together (one dispatch, fused).
  const batches = new Map<string, { b: Backend; spec: AnyUpdateSpec; hyper: unknown; items: UpdateItem[] }>();
  for (const u of updates) {
    const b = backendFor(u.param.dtype);
    // Made before init() picked the device: move it once.
    const onDevice = (v: Value): Storage => {
      if (v.storage!.backend !== b) v.storage = b.upload(cpu.peek(v.storage!)!);
      return v.storage!;
    };
    // Shared (a detach(), a stateDict()): copy first, so what was read before this step keeps its value.
    const own = (v: Value): Storage => (v.storage = b.own(onDevice(v)));
    const key = `${b.name}|${u.spec.name}|${JSON.stringify(u.hyper)}`;
    let batch = batches.get(key);
    if (!batch) batches.set(key, (batch = { b, spec: u.spec, hyper: u.hyper, items: [] }));
    // Verify mode keeps what the update reads (shared: the update then writes a copy) until it is checked.
    const kept = verify && b !== cpu ? [u.grad, u.param, ...u.state].map((v) => b.share(onDevice(v))) : null;
    const item = { n: sizeOf(u.param.shape), grad: onDevice(u.grad), param: own(u.param), state: u.state.map(own) };
    batch.items.push(item);
    if (kept) {
      const [grad, ...before] = kept;
      unverifiedUpdates.push({ spec: u.spec, hyper: u.hyper, param: u.param, grad, before, after: [item.param, ...item.state].map((s) => b.share(s)) });
    }
  }
  for (const { b, spec, hyper, items } of batches.values()) b.update(spec, hyper, items, isFusing());
  for (const u of updates) for (const v of [u.param, ...u.state]) v.version++;
  currentBackend().endPlan();
}

/** Tracks the pending readers of a value from now on: it will be updated in place (a parameter, optimizer state). */
export function trackReaders(v: Value): void {
  v.readers ??= [];
}

/** Values recorded but not computed yet that read the given (tracked) values; prunes the lists. */
function pendingReaders(values: readonly Value[]): Value[] {
  const readers: Value[] = [];
  for (const v of values) {
    const alive = (v.readers ?? []).map((r) => r.deref()).filter((r): r is Value => !!r && !r.computed && !r.failed && !!r.node);
    readers.push(...alive);
    if (v.readers) v.readers = alive.map((r) => new WeakRef(r)); // computed or collected readers are done
  }
  return readers;
}

/**
 * Overwrites a parameter with a copy of `value` (same shape and dtype), in place: the parameter (and
 * an optimizer holding it) stays the same. Pending readers of the old value are computed first.
 */
export function assign(p: Value, value: Value): void {
  if (value.dtype !== p.dtype) fail('assign', `value is ${value.dtype}, the parameter ${p} is ${p.dtype}`);
  const copy = noGrad(() => record(reshape.spec, [value], { shape: p.shape })); // a view: an update copies it before writing
  realize([copy], { also: pendingReaders([p]) });
  const old = p.storage;
  p.storage = copy.storage!.backend.share(copy.storage!);
  old?.backend.release(old);
  p.version++;
}

/** Throws if a read of v's node was updated in place after the node was recorded. */
function checkVersions(v: Value): void {
  v.node!.reads.forEach((r, i) => {
    if (r.version === v.readVersions![i]) return;
    fail(
      v.node!.op.name,
      `${v}${v.madeAt} reads ${r}, which an optimizer step changed in place after this tensor was recorded; ` +
        'compute it before opt.step() (cr.realize([...]) or await t.data()), or record it again',
    );
  });
}

// Nodes and updates computed on the device in verify mode, checked at the next await (data(), sync()).
const unverified: Computed[] = [];
const unverifiedUpdates: UpdateComputed[] = [];

/** Checks the nodes computed since the last check against the CPU reference (verify mode). */
async function verifyPending(): Promise<void> {
  const batch = unverified.splice(0);
  const updates = unverifiedUpdates.splice(0);
  try {
    await verifyNodes(batch);
    await verifyUpdates(updates);
  } finally {
    for (const { values } of batch) for (const s of values.values()) s.backend.release(s);
    for (const u of updates) for (const s of [u.grad, ...u.before, ...u.after]) s.backend.release(s);
  }
}

/** Waits until the device has finished all submitted work; throws device errors, kernel checks and verify failures. */
export async function sync(): Promise<void> {
  await currentBackend().sync();
  await verifyPending();
}

/**
 * Computes v and starts copying it to the host at once: the copy is ordered before anything
 * recorded after this call, so the read sees the value as of the call even if steps follow before
 * the promise resolves.
 */
export function read(v: Value, options: { verify?: boolean; checkNumerics?: boolean } = {}): Promise<Values> {
  v.assertUsable('data');
  const plan = { verify: options.verify ?? isVerifying(), numerics: options.checkNumerics ?? checksNumerics() };
  const transfers = hostTransfers(v, plan);
  if (transfers) return readThroughHost(v, transfers, plan);
  realize([v], plan);
  const s = v.storage!;
  const values = s.backend.read(s, v);
  return plan.verify ? values.then(async (x) => (await verifyPending(), x)) : values;
}

/**
 * Device values that CPU-only (float64) nodes pending for v read: computed, and their copies to the
 * host started, now; undefined when there are none. No float32 op reads a float64 value, so these
 * never wait on the CPU part.
 */
function hostTransfers(v: Value, plan: PlanOptions): Map<Value, Promise<Values>> | undefined {
  if (currentBackend() === cpu) return undefined;
  const needed = new Set<Value>();
  for (const p of pendingOrder([v])) {
    if (backendFor(p.dtype) !== cpu) continue;
    for (const r of p.node!.reads) if (backendFor(r.dtype) !== cpu) needed.add(r);
  }
  if (needed.size === 0) return undefined;
  realize([...needed], plan);
  return new Map([...needed].map((r) => [r, r.storage!.backend.read(r.storage!, r)]));
}

async function readThroughHost(v: Value, transfers: Map<Value, Promise<Values>>, plan: PlanOptions): Promise<Values> {
  const onHost = new Map<Value, Storage>();
  for (const [r, values] of transfers) onHost.set(r, cpu.upload(await values));
  realize([v], { ...plan, transfers: onHost });
  if (plan.verify) await verifyPending();
  return v.storage!.backend.read(v.storage!, v);
}

/** Pending values reachable from the targets, in topological order. */
function pendingOrder(targets: readonly Value[]): Value[] {
  return postOrder(
    targets.filter((v) => !v.storage),
    (v) => {
      if (v.failed) throw v.failed;
      assert(v.node, `${v} has neither a value nor a node`);
      return v.node.reads.filter((r) => !r.storage);
    },
  );
}
