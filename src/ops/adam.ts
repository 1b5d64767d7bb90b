import { Params } from './params.ts';
import type { UpdateSpec } from './update.ts';

/** One Adam step's hyperparameters, as in PyTorch's torch.optim.Adam; `t` counts steps from 1. */
export interface AdamHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly t: number;
}

/**
 * g = grad + weightDecay * param; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
 * param -= lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t).
 * The reference follows the formula; the kernel folds the corrections into lr and eps (as PyTorch
 * does), so the two are independent computations of the same step.
 */
export const adam: UpdateSpec<AdamHyper> = {
  name: 'adam',
  state: ['m', 'v'],
  params(n, h) {
    const stepSize = h.lr / (1 - h.beta1 ** h.t);
    const sqrtCorrection2 = Math.sqrt(1 - h.beta2 ** h.t);
    return new Params().u32(n).f32(stepSize, h.beta1, h.beta2, h.eps, h.weightDecay, sqrtCorrection2);
  },
  step(param, grad, [m, v], h) {
    const c1 = 1 - h.beta1 ** h.t;
    const c2 = 1 - h.beta2 ** h.t;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i] + h.weightDecay * param[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
      param[i] -= (h.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + h.eps);
    }
  },
  test: {
    golden: [
      // t = 1: m_hat = g, v_hat = g^2, so the step is lr * sign(g) (less eps): 1 - 0.1 * 0.5 / (0.5 + 1e-8).
      // t = 2, g = -1: m = -0.055, v = 0.00124975, m_hat = -0.2894737, v_hat = 0.6251876.
      { param: [1], grads: [[0.5], [-1]], hypers: [hyper({ lr: 0.1, t: 1 }), hyper({ lr: 0.1, t: 2 })], want: [0.9366103542405654] },
      // Weight decay as L2 in the gradient: g = 0.5 * 2 = 1, so p = 2 - 0.01 * 1 / (1 + 1e-8).
      { param: [2], grads: [[0]], hypers: [hyper({ lr: 0.01, weightDecay: 0.5, t: 1 })], want: [1.9900000001] },
    ],
    hypers: [[1, 2, 3].map((t) => hyper({ lr: 0.01, t })), [1, 2].map((t) => hyper({ lr: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, t }))],
  },
};

function hyper(h: Partial<AdamHyper>): AdamHyper {
  return { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, t: 1, ...h };
}
