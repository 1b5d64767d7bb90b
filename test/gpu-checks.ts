// The registry checks on a device, shared by the Node suite (test/gpu-ops.test.ts) and the
// headless-Chrome suite (test/gpu-suite/): each kernel against the CPU reference on the same
// float32 inputs. Returns errors; the caller asserts them.
import { applyUpdates, trackReaders } from '../src/executor.ts';
import { apply, applyVjp as vjpOf, realizeAll } from '../src/tensor.ts';
import type { AnyOpSpec, SpecialCase, TestCase } from '../src/ops/spec.ts';
import type { AnyUpdateSpec } from '../src/ops/update.ts';
import { fromValues, zeros, type Tensor } from '../src/tensor.ts';
import {
  gradInputs,
  maxError,
  randomCotangent,
  randomInputs,
  runForward,
  runVjp,
  specialArgs,
  specialDy,
  specialOnCpu,
  specialRows,
  toFloat32,
  type SpecialRow,
} from './helpers.ts';

/** |device - cpu| / max(1, |cpu|): float32 kernels, different summation orders. */
export const TOL = 1e-4;

export interface KernelError {
  readonly kernel: string; // e.g. "matmul_fwd", "matmul_vjp (input 1)"
  readonly error: number;
  readonly shapeOk: boolean;
}

/** Forward and every VJP of one test case on the current device against the CPU reference. */
export async function checkCase(spec: AnyOpSpec, c: TestCase<unknown>, i: number): Promise<KernelError[]> {
  const args = toFloat32(randomInputs(spec, c, 5000 + i));
  const x = args.map((a, k) => fromValues(a.data, a.shape, spec.inputs[k].differentiable && a.dtype !== 'int32'));
  const y = apply(spec, x, c.attrs ?? {});
  const want = runForward(spec, args, c.attrs);
  const out: KernelError[] = [{ kernel: `${spec.name}_fwd`, error: maxError(await y.data(), want.data), shapeOk: sameShape(y.shape, want.shape) }];
  const dy = { shape: want.shape, dtype: 'float32' as const, data: Float32Array.from(randomCotangent(want.data.length, 6000 + i)) };
  for (let wrt = 0; wrt < spec.inputs.length; wrt++) {
    if (!spec.inputs[wrt].differentiable || args[wrt].dtype === 'int32') continue;
    const dx = vjpOf(y, wrt, fromValues(dy.data, dy.shape));
    const wantDx = runVjp(spec, args, c.attrs, dy, wrt);
    out.push({ kernel: `${spec.name}_vjp (input ${wrt})`, error: maxError(await dx.data(), wantDx.data), shapeOk: sameShape(dx.shape, wantDx.shape) });
  }
  return out;
}

/**
 * One test case of an op fused with its neighbours, as a step's plan runs it: each float input
 * passes through x * 1 and the output through y * 1 (elementwise neighbours that a generated kernel
 * takes in, and exact), the cotangent through dy * 1 and each VJP's result through dx * 1; all are
 * computed in one plan, then checked against the CPU reference's forward and VJPs, as checkCase.
 */
export async function checkFused(spec: AnyOpSpec, c: TestCase<unknown>, i: number): Promise<KernelError[]> {
  const args = toFloat32(randomInputs(spec, c, 7000 + i));
  const x = args.map((a, k) => fromValues(a.data, a.shape, spec.inputs[k].differentiable && a.dtype !== 'int32'));
  const y = apply(
    spec,
    x.map((t) => (t.dtype === 'float32' ? t.mul(1) : t)),
    c.attrs ?? {},
  );
  const want = runForward(spec, args, c.attrs);
  const dy = { shape: want.shape, dtype: 'float32' as const, data: Float32Array.from(randomCotangent(want.data.length, 8000 + i)) };
  const g = fromValues(dy.data, dy.shape).mul(1);
  const out = y.dtype === 'float32' ? y.mul(1) : y; // argmax's indices pass as they are
  const grads = spec.inputs.map((input, wrt) => (input.differentiable && args[wrt].dtype !== 'int32' ? vjpOf(y, wrt, g).mul(1) : null));
  realizeAll([out, ...grads.filter((d): d is Tensor => d !== null)]); // one plan: the forward and every VJP
  const errors: KernelError[] = [
    { kernel: `${spec.name}_fwd (fused)`, error: maxError(await out.data(), want.data), shapeOk: sameShape(out.shape, want.shape) },
  ];
  for (const [wrt, dx] of grads.entries()) {
    if (!dx) continue;
    const wantDx = runVjp(spec, args, c.attrs, dy, wrt);
    errors.push({
      kernel: `${spec.name}_vjp (input ${wrt}, fused)`,
      error: maxError(await dx.data(), wantDx.data),
      shapeOk: sameShape(dx.shape, wantDx.shape),
    });
  }
  return errors;
}

/**
 * One IEEE special-value case of an op (spec.test.special) on the current device and on the CPU
 * reference, each compared element by element with PyTorch's values in the table (float32).
 */
export async function checkSpecial(spec: AnyOpSpec, c: SpecialCase<unknown>): Promise<SpecialRow[]> {
  const args = specialArgs(spec, c, 'float32');
  const x = args.map((a, k) => fromValues(a.data, a.shape, gradInputs(spec).includes(k)));
  const y = apply(spec, x, c.attrs ?? {});
  const read = async (t: Tensor) => ({ shape: t.shape, data: await t.data() });
  const dy = specialDy(c, 'float32');
  const dx = await Promise.all(spec.inputs.map((_, k) => (gradInputs(spec).includes(k) ? read(vjpOf(y, k, fromValues(dy.data, dy.shape))) : null)));
  return specialRows(spec, c, specialOnCpu(spec, c, 'float32'), { y: await read(y), dx });
}

/** An optimizer update kernel over `hypers.length` steps against its reference (param and state). */
export async function checkUpdate(spec: AnyUpdateSpec, hypers: readonly unknown[], i: number): Promise<KernelError[]> {
  const n = 1000; // not a multiple of the workgroup
  const p0 = Float32Array.from(randomCotangent(n, 100 + i));
  const param = fromValues(p0.slice(), [n]);
  trackReaders(param.value);
  const state = spec.state.map(() => zeros([n]).realize());
  for (const s of state) trackReaders(s.value);
  const want = Float64Array.from(p0);
  const wantState = spec.state.map(() => new Float64Array(n));
  hypers.forEach((h, k) => {
    const g = Float32Array.from(randomCotangent(n, 200 + 10 * i + k));
    applyUpdates([{ spec, hyper: h, param: param.value, grad: fromValues(g, [n]).value, state: state.map((s) => s.value) }]);
    spec.step(want, Float64Array.from(g), wantState, h);
  });
  const out: KernelError[] = [{ kernel: `${spec.name}_step (param)`, error: maxError(await param.data(), want), shapeOk: true }];
  for (const [k, s] of state.entries())
    out.push({ kernel: `${spec.name}_step (${spec.state[k]})`, error: maxError(await s.data(), wantState[k]), shapeOk: true });
  return out;
}

/** One run of the registry checks: an op, with one of its kernel variants forced, or with fusion off. */
export interface RegistryRun {
  /** The op's name, and the variant's or `unfused`: `matmul (tiled)`, `add (unfused)`. */
  readonly label: string;
  readonly spec: AnyOpSpec;
  /** For cr.init: the variant forced on ({} for an op without variants), and whether plans fuse. */
  readonly init: { readonly variants: Record<string, string>; readonly fuse: boolean };
}

/**
 * Every op once, fused as a user's plan would run it; an op with kernel variants once per variant;
 * an op that fusion changes (views: spec.identity) once more unfused, so its own kernels are checked too.
 */
export function registryRuns(specs: readonly AnyOpSpec[]): RegistryRun[] {
  return specs.flatMap((spec) => {
    const names = spec.gpu.variants?.names;
    const runs: RegistryRun[] = names
      ? names.map((v) => ({ label: `${spec.name} (${v})`, spec, init: { variants: { [spec.name]: v }, fuse: true } }))
      : [{ label: spec.name, spec, init: { variants: {}, fuse: true } }];
    if (spec.identity) runs.push({ label: `${spec.name} (unfused)`, spec, init: { variants: {}, fuse: false } });
    return runs;
  });
}

/** Whether a run needs a device of its own (cr.init with its options). */
export function ownDevice(run: RegistryRun): boolean {
  return Object.keys(run.init.variants).length > 0 || !run.init.fuse;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
