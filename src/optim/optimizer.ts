/** Optimizer: the shared part of SGD and Adam (parameters, state, in-place steps in one plan). */
import { isFloat } from '../dtype.ts';
import { fail } from '../errors.ts';
import { applyUpdates, trackReaders, type Update } from '../executor.ts';
import type { AnyUpdateSpec } from '../ops/update.ts';
import { Tensor, zeros } from '../tensor.ts';
import { isCachedConstant } from '../values.ts';

/**
 * The shared part of every optimizer, as in PyTorch: `zeroGrad()` clears the gradients, `step()`
 * updates every parameter that has one. Each update is one fused kernel (the spec's) that rewrites
 * the parameter and its state in place, encoded in the same plan, and submitted with it, as the
 * forward and backward it reads.
 */
export abstract class Optimizer<H> {
  readonly params: readonly Tensor[];
  /** The learning rate; it may change between steps. */
  abstract lr: number;
  // Per-parameter state buffers (zero at the start) and step counts, created at the first step.
  readonly #state = new Map<Tensor, { buffers: Tensor[]; steps: number }>();

  constructor(
    readonly name: string,
    params: Iterable<Tensor>,
    private readonly spec: AnyUpdateSpec,
  ) {
    this.params = [...params];
    if (this.params.length === 0) fail(name, 'got no parameters to optimize (an empty list)');
    const seen = new Set<Tensor>();
    this.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) fail(name, `parameter ${i} is not a Tensor, got ${p === null ? 'null' : typeof p}`);
      if (!isFloat(p.dtype)) fail(name, `parameter ${i} ${p} must be a float tensor`);
      if (!p.requiresGrad || !p.isLeaf) fail(name, `parameter ${i} ${p} must be a leaf with requiresGrad: true (a tensor computed by ops is not a parameter)`);
      if (isCachedConstant(p.value)) fail(name, `parameter ${i} is a shared scalar constant: make parameters with cr.tensor, cr.zeros or cr.randn`);
      if (seen.has(p)) fail(name, `parameter ${i} ${p} appears twice`);
      seen.add(p);
      trackReaders(p.value); // updated in place from now on: track who reads the old value
    });
  }

  /** Clears every parameter's .grad (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Updates every parameter with a gradient, in place, as one plan (one submit on a GPU). */
  step(): void {
    const updates: Update[] = [];
    for (const p of this.params) {
      p.value.assertUsable(this.name);
      const grad = p.value.grad;
      if (!grad) continue; // as in PyTorch: parameters without a gradient are left alone
      let s = this.#state.get(p);
      if (!s) {
        s = { buffers: this.spec.state.map((_, i) => this.newState(p, i)), steps: 0 };
        for (const b of s.buffers) trackReaders(b.value);
        this.#state.set(p, s);
      }
      s.steps++;
      updates.push({ spec: this.spec, hyper: this.hyper(s.steps), param: p.value, grad, state: s.buffers.map((b) => b.value) });
    }
    if (updates.length > 0) applyUpdates(updates);
  }

  /** The state buffers of a parameter (e.g. SGD's velocity, Adam's m and v), once it has stepped. */
  state(p: Tensor): readonly Tensor[] | undefined {
    return this.#state.get(p)?.buffers;
  }

  /** Hyperparameters of a parameter's `t`-th step (from 1). */
  protected abstract hyper(t: number): H;

  /** State buffer i of a parameter: zeros of its shape (subclasses may shrink unused ones). */
  protected newState(p: Tensor, _i: number): Tensor {
    return zeros(p.shape, { dtype: p.dtype });
  }
}

/** Throws unless `value` is a finite number in [min, max) (or [min, max] when `inclusive`). */
export function checkHyper(opt: string, name: string, value: number, min: number, max = Infinity, inclusive = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && (inclusive ? value <= max : value < max);
  if (!ok) fail(opt, `${name} must be a number in [${min}, ${max}${inclusive ? ']' : ')'}, got ${value}`);
  return value;
}
