import { unaryCases, unaryOp } from './elementwise.ts';

/** y = tanh(x); dx = (1 - y^2) dy. */
export const tanh = unaryOp({
  name: 'tanh',
  saves: 'y',
  f: Math.tanh,
  df: (_x, y) => 1 - y * y, // d(tanh x) = (1 - tanh^2 x) dx
  pytorch: { y: Math.tanh, dx: (_x, y, dy) => dy * (1 - y * y) }, // tanh_backward(grad, result); tanh(-0) = -0
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[0, 1, -0.5]], y: [0, Math.tanh(1), Math.tanh(-0.5)] }],
    domain: [[-3, 3]],
  },
});
