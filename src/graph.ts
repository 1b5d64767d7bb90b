import { assert, fail } from './errors.ts';
import { isFloat } from './dtype.ts';
import { checkElements } from './shape.ts';
import { isGradEnabled } from './autograd.ts';
import type { AnyOpSpec, Meta } from './ops/spec.ts';
import { Tensor } from './tensor.ts';

/** A node records how a tensor is computed: an op's forward, or its VJP for one input. */
export type Node = FwdNode | VjpNode;

export interface FwdNode {
  readonly kind: 'fwd';
  readonly op: AnyOpSpec;
  readonly attrs: unknown;
  readonly inputs: readonly Tensor[];
}

/** dx_wrt = VJP of `op` at the saved values, applied to dy. Only saved tensors are referenced. */
export interface VjpNode {
  readonly kind: 'vjp';
  readonly op: AnyOpSpec;
  readonly attrs: unknown;
  readonly x: readonly (Tensor | null)[];
  readonly xMeta: readonly Meta[];
  readonly y: Tensor | null;
  readonly dy: Tensor;
  readonly wrt: number;
}

/** The tensors a node reads. */
export function depsOf(node: Node): Tensor[] {
  if (node.kind === 'fwd') return [...node.inputs];
  const deps = node.x.filter((t): t is Tensor => t !== null);
  if (node.y) deps.push(node.y);
  deps.push(node.dy);
  return deps;
}

/**
 * Records one op on the graph: checks input kinds, runs the shape rule (which throws at build time),
 * and returns the lazy output. Its value is computed when someone asks for it.
 */
export function apply<A>(op: AnyOpSpec, inputs: readonly Tensor[], attrs: A): Tensor {
  if (inputs.length !== op.inputs.length) {
    fail(op.name, `takes ${op.inputs.length} input${op.inputs.length === 1 ? '' : 's'}, got ${inputs.length}`);
  }
  op.inputs.forEach((spec, i) => {
    const t = inputs[i];
    if (!(t instanceof Tensor)) fail(op.name, `${spec.name} must be a Tensor, got ${describe(t)}`);
    t.assertUsable(op.name);
    const ok = spec.dtype === 'any' || (spec.dtype === 'int32' ? t.dtype === 'int32' : isFloat(t.dtype));
    if (!ok) {
      const want = spec.dtype === 'int32' ? 'int32 (integer labels)' : 'a float tensor';
      fail(op.name, `${spec.name} must be ${want}, got ${t.dtype} ${t.shapeString}`);
    }
  });
  const meta = op.infer(inputs, attrs);
  checkElements(op.name, meta.shape);
  if (op.validates) {
    // Labels or indices already on the host (uploaded by the user) are checked now, at graph-build
    // time; values made on a device are checked by its kernels.
    const t = inputs[op.validates.input];
    const values = t.storage?.backend.peek(t.storage);
    if (values) op.validates.check(values, inputs, attrs);
  }
  const requiresGrad =
    isGradEnabled() && op.inputs.some((spec, i) => spec.differentiable && inputs[i].requiresGrad);
  return new Tensor(meta.shape, meta.dtype, { node: { kind: 'fwd', op, attrs, inputs }, requiresGrad });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array (wrap it with cr.tensor)';
  return value === null ? 'null' : typeof value;
}

/**
 * Records dx = VJP of y's op for input `wrt`, applied to dy. The node keeps only what the op saves,
 * so the other inputs can be freed once the forward is done.
 */
export function vjpOf(y: Tensor, wrt: number, dy: Tensor): Tensor {
  const node = y.node;
  assert(node?.kind === 'fwd', `vjpOf: ${y} was not computed by an op`);
  const { op, attrs, inputs } = node;
  const shape = op.vjpShape ? op.vjpShape(inputs, y, wrt, attrs) : inputs[wrt].shape;
  const x = inputs.map((t, i) => (op.saves.inputs.includes(i) ? t : null));
  const xMeta = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
  const vjp: VjpNode = { kind: 'vjp', op, attrs, x, xMeta, y: op.saves.output ? y : null, dy, wrt };
  return new Tensor(shape, inputs[wrt].dtype, { node: vjp }); // a gradient has its input's dtype
}
