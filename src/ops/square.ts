import { unaryCases, unaryOp } from './elementwise.ts';

/** y = x^2, computed as x x; dx = 2 x dy. */
export const square = unaryOp({
  name: 'square',
  saves: 'x',
  f: (x) => x * x,
  df: (x) => 2 * x, // d(x^2) = 2 x dx
  // torch.square is pow(x, 2), whose kernel is x * x; derivatives.yaml pow_backward: grad * (2 * x.pow(1))
  pytorch: { y: (x) => x * x, dx: (x, _y, dy) => dy * (2 * x) },
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[-3, 0.5, 0, 1.5]], y: [9, 0.25, 0, 2.25] }],
  },
});
