/** Verify mode: each node computed on the device checked against the CPU reference on the same inputs. */
import type { Storage } from './backend/backend.ts';
import { cpu } from './backend/cpu.ts';
import { ChainruleError } from './errors.ts';
import type { Node, Value } from './graph.ts';
import { formatShape } from './shape.ts';

/** A node whose device value differs from the CPU reference computed on the same inputs. */
export class VerifyError extends ChainruleError {
  override name = 'VerifyError';
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
      );
    }
  }
}
