import { Params } from './params.ts';
import type { UpdateSpec } from './update.ts';

/** One SGD step's hyperparameters, as in PyTorch's torch.optim.SGD. `first` marks the first step. */
export interface SgdHyper {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly first: boolean;
}

/**
 * g = grad + weightDecay * param; with momentum, v = first ? g : momentum * v + (1 - dampening) * g
 * and g = nesterov ? g + momentum * v : v; then param -= lr * g. The velocity is unused (and may be
 * empty) without momentum.
 */
export const sgd: UpdateSpec<SgdHyper> = {
  name: 'sgd',
  state: ['velocity'],
  params: (n, h) =>
    new Params()
      .u32(n)
      .f32(h.lr, h.momentum, h.dampening, h.weightDecay)
      .u32(h.nesterov ? 1 : 0, h.first ? 1 : 0),
  step(param, grad, [velocity], h) {
    for (let i = 0; i < param.length; i++) {
      let g = grad[i] + h.weightDecay * param[i];
      if (h.momentum !== 0) {
        velocity[i] = h.first ? g : h.momentum * velocity[i] + (1 - h.dampening) * g;
        g = h.nesterov ? g + h.momentum * velocity[i] : velocity[i];
      }
      param[i] -= h.lr * g;
    }
  },
  test: {
    golden: [
      // Plain: 1 - 0.1 * 0.5.
      { param: [1, -2], grads: [[0.5, 1]], hypers: [hyper({ lr: 0.1 })], want: [0.95, -2.1] },
      // Momentum 0.9: v = [0.5, 1], p = [0.95, -2.1]; v = 0.9 v + [1, -1] = [1.45, -0.1], p -= 0.1 v.
      {
        param: [1, -2],
        grads: [
          [0.5, 1],
          [1, -1],
        ],
        hypers: [hyper({ lr: 0.1, momentum: 0.9, first: true }), hyper({ lr: 0.1, momentum: 0.9 })],
        want: [0.805, -2.09],
      },
      // Weight decay: g = 1 + 0.1 * 2 = 1.2, p = 2 - 0.5 * 1.2.
      { param: [2], grads: [[1]], hypers: [hyper({ lr: 0.5, weightDecay: 0.1 })], want: [1.4] },
      // Nesterov 0.5, lr 1: v = 1, p = -(1 + 0.5); v = 0.5 + 1 = 1.5, p -= 1 + 0.75.
      {
        param: [0],
        grads: [[1], [1]],
        hypers: [hyper({ lr: 1, momentum: 0.5, nesterov: true, first: true }), hyper({ lr: 1, momentum: 0.5, nesterov: true })],
        want: [-3.25],
      },
      // Dampening 0.5 (first step takes g whole): v = 2, p = -0.2; v = 0.9 * 2 + 0.5 * 2 = 2.8, p -= 0.28.
      {
        param: [0],
        grads: [[2], [2]],
        hypers: [hyper({ lr: 0.1, momentum: 0.9, dampening: 0.5, first: true }), hyper({ lr: 0.1, momentum: 0.9, dampening: 0.5 })],
        want: [-0.48],
      },
    ],
    hypers: [
      [hyper({ lr: 0.1 }), hyper({ lr: 0.05 })],
      [hyper({ lr: 0.1, momentum: 0.9, weightDecay: 1e-3, first: true }), hyper({ lr: 0.1, momentum: 0.9, weightDecay: 1e-3 })],
      [hyper({ lr: 0.3, momentum: 0.8, dampening: 0.1, nesterov: true, first: true }), hyper({ lr: 0.3, momentum: 0.8, dampening: 0.1, nesterov: true })],
    ],
  },
};

function hyper(h: Partial<SgdHyper>): SgdHyper {
  return { lr: 0.01, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: false, ...h };
}
