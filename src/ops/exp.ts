import { unaryCases, unaryOp } from './elementwise.ts';

/** y = exp(x); dx = y dy (reuses the saved output). */
export const exp = unaryOp({
  name: 'exp',
  saves: 'y',
  f: Math.exp,
  df: (_x, y) => y, // d(exp x) = exp(x) dx: reuse saved y
  pytorch: { y: Math.exp, dx: (_x, y, dy) => dy * y }, // grad * result
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[0, 1, -1]], y: [1, Math.E, 1 / Math.E] }],
  },
});
