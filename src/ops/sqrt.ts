import { unaryCases, unaryOp } from './elementwise.ts';

/** y = sqrt(x); dx = dy / (2y). */
export const sqrt = unaryOp({
  name: 'sqrt',
  saves: 'y',
  f: Math.sqrt,
  df: (_x, y) => 0.5 / y, // d(sqrt x) = dx / (2 sqrt x): reuse saved y
  pytorch: { y: Math.sqrt, dx: (_x, y, dy) => dy / (2 * y) }, // grad / (2 * result); sqrt(-0) = -0
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[4, 0.25, 2]], y: [2, 0.5, Math.SQRT2] }],
    domain: [[0.1, 3]],
  },
});
