import { cpu } from './backend/cpu.ts';
import type { Storage } from './backend/backend.ts';
import { ChainruleError } from './errors.ts';
import { depsOf } from './graph.ts';
import { formatShape } from './shape.ts';
import type { Tensor } from './tensor.ts';

/** A node whose device value differs from the CPU reference computed on the same inputs. */
export class VerifyError extends ChainruleError {
  override name = 'VerifyError';
}

/** Largest |gpu - cpu| / max(1, |cpu|) accepted: float32 kernels, different summation orders. */
export const VERIFY_TOL = 1e-3;

/** A node computed on the device, with the values of its inputs there, waiting to be checked. */
export interface Computed {
  readonly t: Tensor;
  readonly node: NonNullable<Tensor['node']>;
  readonly inputs: Map<Tensor, Storage>;
}

/**
 * Checks each computed node, in order, against the CPU reference run on the device's own input
 * values, so a divergence is pinned on the node that made it. Throws at the first one.
 */
export async function verifyNodes(computed: readonly Computed[]): Promise<void> {
  const host = new Map<Storage, Storage>(); // device storage -> its values on the CPU
  const onCpu = async (s: Storage, meta: Tensor): Promise<Storage> => {
    if (s.backend === cpu) return s;
    let h = host.get(s);
    if (!h) host.set(s, (h = cpu.upload(await s.backend.read(s, meta))));
    return h;
  };
  for (const { t, node, inputs } of computed) {
    const moved = new Map<Tensor, Storage>();
    for (const d of depsOf(node)) moved.set(d, await onCpu(inputs.get(d)!, d));
    const want = cpu.peek(cpu.run(node, t, (d) => moved.get(d)!))!;
    const got = cpu.peek(await onCpu(inputs.get(t)!, t))!;
    let worst = 0;
    let at = 0;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
      const bad = Number.isNaN(got[i]) !== Number.isNaN(want[i]);
      if (bad || e > worst) [worst, at] = [bad ? Infinity : e, i];
    }
    if (worst > VERIFY_TOL) {
      const kernel = node.kind === 'fwd' ? `${node.op.name}_fwd` : `${node.op.name}_vjp (input ${node.wrt})`;
      const args = depsOf(node).map((d) => `${formatShape(d.shape)}`).join(', ');
      throw new VerifyError(
        `verify: ${kernel} -> ${formatShape(t.shape)} differs from the CPU reference: max error ${worst.toExponential(2)} ` +
          `(relative to max(1, |cpu|)) at element ${at}: device ${got[at]}, cpu ${want[at]}; inputs ${args}` +
          (t.origin ? `\n    tensor made at ${t.origin}` : ''),
      );
    }
  }
}
