/** Adam, as torch.optim.Adam. */
import { fail } from '../errors.ts';
import { adam, type AdamHyper } from '../ops/adam.ts';
import type { Tensor } from '../tensor.ts';
import { checkHyper, Optimizer } from './optimizer.ts';

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Decay rates of the moment estimates. Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam's weight_decay). Default 0. */
  weightDecay?: number;
}

/** Adam (Kingma and Ba), with bias correction, as torch.optim.Adam. */
export class Adam extends Optimizer<AdamHyper> {
  /** The learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super('Adam', params, adam);
    this.lr = checkHyper('Adam', 'lr', options.lr ?? 1e-3, 0);
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) fail('Adam', `betas must be two numbers [beta1, beta2], got ${JSON.stringify(betas)}`);
    this.betas = [checkHyper('Adam', 'betas[0]', betas[0], 0, 1), checkHyper('Adam', 'betas[1]', betas[1], 0, 1)];
    this.eps = checkHyper('Adam', 'eps', options.eps ?? 1e-8, 0);
    this.weightDecay = checkHyper('Adam', 'weightDecay', options.weightDecay ?? 0, 0);
  }

  protected hyper(t: number): AdamHyper {
    checkHyper('Adam', 'lr', this.lr, 0);
    return { lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay, t };
  }
}
