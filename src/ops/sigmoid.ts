import { unaryCases, unaryOp } from './elementwise.ts';

/** y = 1 / (1 + exp(-x)); dx = (1 - y) y dy. */
export const sigmoid = unaryOp({
  name: 'sigmoid',
  saves: 'y',
  f: (x) => 1 / (1 + Math.exp(-x)),
  df: (_x, y) => (1 - y) * y, // the lecture: dsigma/dx = (1 - sigma) sigma
  pytorch: { y: (x) => 1 / (1 + Math.exp(-x)), dx: (_x, y, dy) => dy * (1 - y) * y }, // sigmoid_backward(grad, result)
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[0, 1, -1]], y: [0.5, 0.7310585786300049, 0.2689414213699951] }],
    domain: [[-4, 4]],
  },
});
