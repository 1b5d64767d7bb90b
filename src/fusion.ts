/**
 * The fusion pass: groups a plan's pending nodes into units that each run as one kernel (an
 * elementwise chain, a matmul with its epilogue, a loss with its VJP) and orders the units.
 * Graph-level and device-free: the backend generates the kernels (src/backend/webgpu/fused.ts).
 */
import type { Value } from './graph.ts';
import { trailingModulus } from './ops/elementwise.ts';
import { kernelBindings } from './ops/spec.ts';
import { sameShape, sizeOf, type Shape } from './shape.ts';

/**
 * One unit of a plan, in the order it runs:
 * - `node`: one node's own kernel (or a view);
 * - `fused`: an optional anchor (a matmul) and elementwise members of its shape, as one generated
 *   kernel, each element computed in registers; members are in topological order; or members and
 *   the reduction (`reduce`: a sum or mean) that reads one of them, which runs them as it loads;
 * - `pair`: an op's forward and its VJP in one kernel (spec.fwdVjp: softmax cross-entropy).
 */
export type Unit =
  | { readonly kind: 'node'; readonly value: Value }
  | { readonly kind: 'fused'; readonly anchor?: Value; readonly members: readonly Value[]; readonly reduce?: Value }
  | { readonly kind: 'pair'; readonly fwd: Value; readonly vjp: Value };

/** A group being formed: its values in order, and what a member must match. */
interface Group {
  readonly kind: 'fused' | 'pair';
  readonly shape: Shape;
  anchor?: Value;
  readonly members: Value[];
  /** A reduction of a member (its prologue): it closes the group. */
  reduce?: Value;
  fwd?: Value;
  vjp?: Value;
  readonly first: number;
  /** Values the generated kernel reads from outside the group: one storage binding each. */
  readonly inputs: Set<Value>;
}

/**
 * The units of a plan: `order` (pending values, topological) grouped where `fusible(v)` allows
 * (the value lives on a device that fuses). Joining a group never makes a cycle: a value joins a
 * group only if none of its other reads depends on that group. Units run in a topological order
 * of the grouped graph, earliest first. A fused kernel binds at most `maxBuffers` storage buffers
 * (the device's maxStorageBuffersPerShaderStage): its inputs, each member's output, the anchor's own.
 */
export function fuse(order: readonly Value[], fusible: (v: Value) => boolean, maxBuffers = 8): Unit[] {
  const position = new Map(order.map((v, i) => [v, i]));
  const groupOf = new Map<Value, Group>();
  const partners = new Map<string, Value[]>(); // forwards and VJPs of fwdVjp ops waiting for their partner, by their first read
  const inPlan = (r: Value) => position.has(r);
  // v may join g unless one of its other reads depends on g, through any path of values and groups
  // (a group depends on every member's reads): joining would then make a cycle of units.
  const joinable = (v: Value, g: Group) => {
    const stack = v.node!.reads.filter((r) => inPlan(r) && groupOf.get(r) !== g);
    const seen = new Set<Value | Group>(stack);
    while (stack.length > 0) {
      const u = stack.pop()!;
      const h = groupOf.get(u);
      if (h === g) return false;
      if (h && seen.has(h)) continue;
      if (h) seen.add(h);
      for (const w of h ? groupValues(h) : [u]) {
        for (const r of w.node!.reads) {
          if (!inPlan(r) || seen.has(r)) continue;
          seen.add(r);
          stack.push(r);
        }
      }
    }
    return true;
  };
  const outside = (v: Value, g: Group) => v.node!.reads.filter((r) => groupOf.get(r) !== g && !g.inputs.has(r));
  const fits = (v: Value, g: Group) => buffersOf(g) + new Set(outside(v, g)).size + 1 <= maxBuffers;
  for (const v of order) {
    const node = v.node!;
    if (!fusible(v) || sizeOf(v.shape) === 0) continue;
    const start = (g: Omit<Group, 'first' | 'members' | 'inputs'> & { members?: Value[] }) =>
      groupOf.set(v, { members: [], ...g, first: position.get(v)!, inputs: new Set(g.kind === 'fused' && g.members ? v.node!.reads : []) });
    if (elementwise(v)) {
      const into = node.reads
        .map((r) => groupOf.get(r))
        .find((g) => g?.kind === 'fused' && !g.reduce && sameShape(g.shape, v.shape) && joinable(v, g) && fits(v, g));
      if (into) {
        for (const r of outside(v, into)) into.inputs.add(r);
        into.members.push(v);
        groupOf.set(v, into);
      } else start({ kind: 'fused', shape: v.shape, members: [v] });
    } else if (node.op.fusible === 'epilogue' && v.dtype === 'float32') start({ kind: 'fused', shape: v.shape, anchor: v });
    else if (node.op.fusible === 'prologue' && node.kind === 'fwd' && v.dtype === 'float32') {
      // A sum or mean of an elementwise group's value: the group runs as the reduction loads it.
      const g = groupOf.get(node.reads[0]);
      if (g?.kind === 'fused' && !g.anchor && !g.reduce && joinable(v, g) && buffersOf(g) + 2 <= maxBuffers) {
        g.reduce = v;
        groupOf.set(v, g);
      }
    } else if (node.op.fwdVjp && v.dtype === 'float32' && (node.kind === 'fwd' || node.wrt === 0)) {
      // A forward and the VJP for its input 0 with the same saved reads, in either order: one kernel.
      const partner = (partners.get(keyOf(v)) ?? []).find((p) => {
        const g = groupOf.get(p)!;
        return (node.kind === 'fwd' ? !g.fwd : !g.vjp) && pairs(node.kind === 'fwd' ? v : p, node.kind === 'fwd' ? p : v) && joinable(v, g);
      });
      if (partner) {
        const g = groupOf.get(partner)!;
        if (node.kind === 'fwd') g.fwd = v;
        else g.vjp = v;
        groupOf.set(v, g);
      } else {
        start({ kind: 'pair', shape: v.shape, ...(node.kind === 'fwd' ? { fwd: v } : { vjp: v }) });
        partners.set(keyOf(v), [...(partners.get(keyOf(v)) ?? []), v]);
      }
    }
  }
  return schedule(order, position, groupOf);
}

/** Storage buffers a fused group's kernel binds at most: its inputs, every member's output, and the anchor's own bindings. */
function buffersOf(g: Group): number {
  const own = (v: Value | undefined) => (v ? kernelBindings(v.node!.op)[v.node!.kind].filter((b) => b.type !== 'uniform').length : 0);
  return own(g.anchor) + own(g.reduce) + g.inputs.size + g.members.length;
}

/** Where a forward or VJP of a fwdVjp op finds its partner: the op and its first read. */
const ids = new WeakMap<Value, number>();
let nextId = 0;
function keyOf(v: Value): string {
  const r = v.node!.reads[0];
  if (!ids.has(r)) ids.set(r, nextId++);
  return `${v.node!.op.name}:${ids.get(r)}`;
}

/** Whether `vjp` is the VJP for input 0 of the node of `fwd`: the same op, attrs and saved inputs. */
function pairs(fwd: Value, vjp: Value): boolean {
  const [f, b] = [fwd.node!, vjp.node!];
  return f.op === b.op && f.attrs === b.attrs && f.op.saves.inputs.every((input, k) => b.reads[k] === f.reads[input]);
}

/** Whether v is an elementwise op a generated kernel can compute (float32, operands broadcast as trailing blocks). */
function elementwise(v: Value): boolean {
  const { op, reads } = v.node!;
  if (op.fusible !== 'unary' && op.fusible !== 'binary') return false;
  if (v.dtype !== 'float32') return false;
  return reads.every((r) => r.dtype === 'float32' && trailingModulus(r.shape, v.shape) > 0);
}

/** The units in a topological order of the grouped graph (Kahn's algorithm, earliest unit first). */
function schedule(order: readonly Value[], position: ReadonlyMap<Value, number>, groupOf: ReadonlyMap<Value, Group>): Unit[] {
  const units: { unit: Unit; first: number; values: Value[] }[] = [];
  const unitOf = new Map<Value, number>();
  const groups = new Map<Group, number>();
  for (const v of order) {
    const g = groupOf.get(v);
    if (g && groups.has(g)) {
      unitOf.set(v, groups.get(g)!);
      continue;
    }
    const id = units.length;
    unitOf.set(v, id);
    if (g) groups.set(g, id);
    units.push({ unit: toUnit(v, g), first: position.get(v)!, values: g ? groupValues(g) : [v] });
  }
  const indegree = units.map(() => 0);
  const next = units.map(() => [] as number[]);
  units.forEach(({ values }, id) => {
    const from = new Set<number>();
    for (const v of values) for (const r of v.node!.reads) if (unitOf.has(r) && unitOf.get(r) !== id) from.add(unitOf.get(r)!);
    for (const f of from) next[f].push(id);
    indegree[id] = from.size;
  });
  // Ready units by their first position: ids are in that order, so the smallest id goes first.
  const ready = units.map((_, id) => id).filter((id) => indegree[id] === 0);
  const out: Unit[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    out.push(units[id].unit);
    for (const n of next[id]) {
      if (--indegree[n] > 0) continue;
      const at = ready.findIndex((r) => r > n);
      ready.splice(at < 0 ? ready.length : at, 0, n);
    }
  }
  if (out.length !== units.length) throw new Error('fusion: the grouped plan has a cycle'); // joinable() prevents it
  return out;
}

function groupValues(g: Group): Value[] {
  return g.kind === 'pair' ? [g.fwd, g.vjp].filter((v): v is Value => !!v) : [...(g.anchor ? [g.anchor] : []), ...g.members, ...(g.reduce ? [g.reduce] : [])];
}

/** The unit of a value and its group: a group of one kernel runs as a plain node. */
function toUnit(v: Value, g: Group | undefined): Unit {
  if (!g) return { kind: 'node', value: v };
  if (g.kind === 'pair') return g.fwd && g.vjp ? { kind: 'pair', fwd: g.fwd, vjp: g.vjp } : { kind: 'node', value: (g.fwd ?? g.vjp)! };
  if (g.members.length === 0) return { kind: 'node', value: g.anchor! };
  if (!g.anchor && !g.reduce && g.members.length === 1) return { kind: 'node', value: g.members[0] };
  return { kind: 'fused', anchor: g.anchor, members: g.members, reduce: g.reduce };
}
