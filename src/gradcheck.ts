/** gradcheck: analytic gradients against central differences in float64, as the lecture says. */
import { noGrad } from './grad-mode.ts';
import { isFloat, type Values } from './dtype.ts';
import { ChainruleError, fail } from './errors.ts';
import { normals, rng } from './random.ts';
import { formatShape, stridesOf } from './shape.ts';
import { fromValues, Tensor } from './tensor.ts';

export interface GradcheckOptions {
  /** Step of the central differences (in float64). Default 1e-6. */
  eps?: number;
  /** Largest relative error accepted; default 1e-5 for float64 inputs, 1e-3 for float32. */
  tol?: number;
  /** Seed of the random cotangent used when fn returns a non-scalar. */
  seed?: number;
}

/** Thrown by gradcheck when an analytic gradient disagrees with the numerical one. */
export class GradcheckError extends ChainruleError {
  override name = 'GradcheckError';
}

/**
 * The lecture's check: compares the analytic gradient of fn (backward, in the inputs' dtype on the
 * current device) with central differences (f(x + eps) - f(x - eps)) / 2 eps computed in float64 on
 * the CPU reference. A non-scalar output is projected on a fixed random vector first.
 * Returns the largest relative error per input, |a - n| / max(|a|, |n|, 1e-3 max|n|); throws a
 * GradcheckError naming the input and element if one exceeds tol.
 */
export async function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): Promise<number[]> {
  if (typeof fn !== 'function') fail('gradcheck', `fn must be a function of the inputs, got ${fn === null ? 'null' : typeof fn}`);
  if (!Array.isArray(inputs)) fail('gradcheck', `inputs must be an array of tensors, got ${inputs === null ? 'null' : typeof inputs}`);
  const eps = options.eps ?? 1e-6;
  const tol = options.tol ?? (inputs.every((x) => x instanceof Tensor && x.dtype === 'float64') ? 1e-5 : 1e-3);
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) fail('gradcheck', `input ${i} must be a Tensor`);
    if (!isFloat(x.dtype)) fail('gradcheck', `input ${i} is ${x.dtype}: only float inputs have gradients (capture labels inside fn)`);
  });
  const values = await Promise.all(inputs.map(async (x) => Float64Array.from(await x.data())));

  // Analytic: backward through fn at the inputs' own dtype.
  const leaves = inputs.map((x, i) => fromValues(x.dtype === 'float64' ? values[i].slice() : Float32Array.from(values[i]), x.shape, true));
  const out = fn(...leaves);
  if (!(out instanceof Tensor)) fail('gradcheck', 'fn must return a Tensor');
  const r = out.size === 1 ? Float64Array.of(1) : normals(out.size, rng(options.seed ?? 0));
  const seed = out.dtype === 'float64' ? r : Float32Array.from(r); // the analytic side stays in the inputs' dtype
  if (out.requiresGrad) out.backward(out.size === 1 ? undefined : fromValues(seed, out.shape));
  const analytic = await Promise.all(leaves.map(async (l) => (l.grad ? await l.grad.data() : new Float64Array(l.size))));

  // Numerical: central differences of r . fn(x) in float64.
  const f = async (xs: Float64Array[]): Promise<number> => {
    const y = noGrad(() => fn(...xs.map((v, i) => fromValues(v, inputs[i].shape))));
    const ys = await y.data();
    let s = 0;
    for (let k = 0; k < ys.length; k++) s += r[k] * ys[k];
    return s;
  };
  const errors: number[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const numeric = new Float64Array(values[i].length);
    for (let k = 0; k < numeric.length; k++) {
      const xs = values.map((v) => v.slice());
      xs[i][k] = values[i][k] + eps;
      const plus = await f(xs);
      xs[i][k] = values[i][k] - eps;
      numeric[k] = (plus - (await f(xs))) / (2 * eps);
    }
    const { error, at } = relativeError(analytic[i], numeric);
    errors.push(error);
    if (!(error <= tol)) {
      const index = unflatten(at, inputs[i].shape);
      throw new GradcheckError(
        `gradcheck: input ${i} ${formatShape(inputs[i].shape)} has relative error ${error.toExponential(2)} > tol ${tol} ` +
          `at [${index}]: analytic ${analytic[i][at]}, numerical ${numeric[at]}`,
      );
    }
  }
  return errors;
}

/** Largest |a - n| / max(|a|, |n|, floor) and where it is; floor = 1e-3 of the largest |n| (at least 1e-8). */
export function relativeError(a: Values, n: Values): { error: number; at: number } {
  let scale = 0;
  for (let k = 0; k < n.length; k++) scale = Math.max(scale, Math.abs(n[k]));
  const floor = Math.max(1e-3 * scale, 1e-8);
  let error = 0;
  let at = 0;
  for (let k = 0; k < n.length; k++) {
    const e = Math.abs(a[k] - n[k]) / Math.max(Math.abs(a[k]), Math.abs(n[k]), floor);
    if (!(e <= error)) {
      error = e; // NaN counts as the worst error
      at = k;
      if (Number.isNaN(e)) break;
    }
  }
  return { error, at };
}

function unflatten(k: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(k / s) % shape[i]);
}
