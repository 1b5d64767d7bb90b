/** Verify mode: each node computed on the device checked against the CPU reference on the same inputs. */
import type { Storage } from './backend/backend.ts';
import { cpu } from './backend/cpu.ts';
import { ChainruleError } from './errors.ts';
import type { Node, Value } from './graph.ts';
import { formatShape } from './shape.ts';
import type { AnyUpdateSpec } from './ops/update.ts';

/** A node whose device value differs from the CPU reference computed on the same inputs. */
export class VerifyError extends ChainruleError {
  override name = 'VerifyError';
  constructor(
    message: string,
    /** The value that diverged: cr.graph(...).toSvg({ highlight: error }) outlines its node. */
    readonly value?: Value,
  ) {
    super(message);
  }
}

/** Largest |gpu - cpu| / max(1, |cpu|) accepted: float32 kernels, different summation orders. */
export const VERIFY_TOL = 1e-3;

/** A node computed on the device, with the device storages of its reads and output, waiting to be checked. */
export interface Computed {
  readonly value: Value;
  readonly node: Node;
  readonly values: Map<Value, Storage>;
  /** The generated kernel that computed it with others (fusion), e.g. fused:matmul+add+relu. */
  readonly fusedIn?: string;
}

/**
 * Checks each computed node, in order, against the CPU reference run on the device's own input
 * values, so a divergence is pinned on the node that made it. Throws at the first one.
 */
export async function verifyNodes(computed: readonly Computed[]): Promise<void> {
  const host = new Map<Storage, Storage>(); // device storage -> its values on the CPU
  const onCpu = async (s: Storage, meta: Value): Promise<Storage> => {
    if (s.backend === cpu) return s;
    let h = host.get(s);
    if (!h) host.set(s, (h = cpu.upload(await s.backend.read(s, meta))));
    return h;
  };
  for (const { value, node, values, fusedIn } of computed) {
    const reads = await Promise.all(node.reads.map((r) => onCpu(values.get(r)!, r)));
    const { op, kind, wrt, attrs, inputs } = node;
    const want = cpu.peek(cpu.run({ op, kind, wrt, attrs, reads, readMetas: node.reads, inputs, out: value }))!;
    const got = cpu.peek(await onCpu(values.get(value)!, value))!;
    let worst = 0;
    let at = 0;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
      const bad = Number.isNaN(got[i]) !== Number.isNaN(want[i]);
      if (bad || e > worst) [worst, at] = [bad ? Infinity : e, i];
    }
    if (worst > VERIFY_TOL) {
      const own = kind === 'fwd' ? `${op.name}_fwd` : `${op.name}_vjp (input ${wrt})`;
      const kernel = fusedIn ? `${own} (inside ${fusedIn})` : own;
      const args = node.reads.map((r) => formatShape(r.shape)).join(', ');
      throw new VerifyError(
        `verify: ${kernel} -> ${formatShape(value.shape)} differs from the CPU reference: max error ${worst.toExponential(2)} ` +
          `(relative to max(1, |cpu|)) at element ${at}: device ${got[at]}, cpu ${want[at]}; inputs ${args}` +
          (value.origin ? `\n    tensor made at ${value.origin}` : ''),
        value,
      );
    }
  }
}

/** An optimizer update run on the device, with what it read and wrote, waiting to be checked. */
export interface UpdateComputed {
  readonly spec: AnyUpdateSpec;
  readonly hyper: unknown;
  readonly param: Value;
  /** Before the update: the gradient, the parameter and its state; after: the parameter and state. */
  readonly grad: Storage;
  readonly before: readonly Storage[];
  readonly after: readonly Storage[];
}

/**
 * Checks each update against its CPU reference (spec.step in float64) run on the device's own
 * values from before it: the parameter and each state buffer. Throws at the first divergence.
 */
export async function verifyUpdates(updates: readonly UpdateComputed[]): Promise<void> {
  const host = async (s: Storage, n: number) =>
    s.bytes === 0 ? new Float64Array(0) : Float64Array.from(await s.backend.read(s, { shape: [n], dtype: 'float32' }));
  for (const { spec, hyper, param, grad, before, after } of updates) {
    const n = param.shape.reduce((a, b) => a * b, 1);
    const [g, ...old] = await Promise.all([grad, ...before].map((s) => host(s, s.bytes / 4)));
    const got = await Promise.all(after.map((s) => host(s, s.bytes / 4)));
    const [p, ...state] = old;
    spec.step(p, g, state, hyper);
    const names = ['param', ...spec.state];
    [p, ...state].forEach((want, k) => {
      let worst = 0;
      let at = 0;
      for (let i = 0; i < want.length; i++) {
        const e = Math.abs(got[k][i] - want[i]) / Math.max(1, Math.abs(want[i]));
        const bad = Number.isNaN(got[k][i]) !== Number.isNaN(want[i]);
        if (bad || e > worst) [worst, at] = [bad ? Infinity : e, i];
      }
      if (worst > VERIFY_TOL) {
        throw new VerifyError(
          `verify: ${spec.name}_step (${names[k]}) of ${param}${param.madeAt} differs from the CPU reference: max error ${worst.toExponential(2)} ` +
            `at element ${at} of ${n}: device ${got[k][at]}, cpu ${want[at]}`,
          param,
        );
      }
    });
  }
}
