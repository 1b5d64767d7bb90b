import { unaryCases, unaryOp } from './elementwise.ts';

/** y = 1 / x; dx = -y^2 dy (the lecture's 1/x gate). */
export const reciprocal = unaryOp({
  name: 'reciprocal',
  saves: 'y',
  f: (x) => 1 / x,
  df: (_x, y) => -y * y, // d(1/x) = -dx / x^2 = -y^2 dx
  pytorch: { y: (x) => 1 / x, dx: (_x, y, dy) => -dy * (y * y) }, // -grad * (result * result)
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[2, -0.5, 4]], y: [0.5, -2, 0.25] }],
    domain: [
      [-2, -0.2],
      [0.2, 2],
    ], // off the pole at 0
  },
});
