/** SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD. */
import { fail } from '../errors.ts';
import { sgd, type SgdHyper } from '../ops/sgd.ts';
import { zeros, type Tensor } from '../tensor.ts';
import { checkHyper, Optimizer } from './optimizer.ts';

export interface SgdOptions {
  lr: number;
  /** Heavy-ball momentum (PyTorch's form: v = momentum v + (1 - dampening) g, param -= lr v). Default 0. */
  momentum?: number;
  dampening?: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. Default 0. */
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with optional momentum, Nesterov and weight decay (torch.optim.SGD). */
export class SGD extends Optimizer<SgdHyper> {
  /** The learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, options: SgdOptions) {
    super('SGD', params, sgd);
    if (options?.lr === undefined) fail('SGD', 'options.lr (the learning rate) is required, e.g. { lr: 0.1 }');
    this.lr = checkHyper('SGD', 'lr', options.lr, 0);
    this.momentum = checkHyper('SGD', 'momentum', options.momentum ?? 0, 0);
    this.dampening = checkHyper('SGD', 'dampening', options.dampening ?? 0, 0, 1, true);
    this.weightDecay = checkHyper('SGD', 'weightDecay', options.weightDecay ?? 0, 0);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      fail('SGD', `nesterov needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`);
    }
  }

  protected hyper(t: number): SgdHyper {
    checkHyper('SGD', 'lr', this.lr, 0);
    const { momentum, dampening, weightDecay, nesterov } = this;
    return { lr: this.lr, momentum, dampening, weightDecay, nesterov, first: t === 1 };
  }

  // Without momentum the velocity is never read: an empty buffer stands in for it.
  protected override newState(p: Tensor): Tensor {
    return this.momentum === 0 ? zeros([0], { dtype: p.dtype }) : super.newState(p, 0);
  }
}
