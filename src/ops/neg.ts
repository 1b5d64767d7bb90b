import { unaryCases, unaryOp } from './elementwise.ts';

/** y = -x; dx = -dy. */
export const neg = unaryOp({
  name: 'neg',
  saves: 'none',
  f: (x) => -x,
  df: () => -1, // d(-x) = -dx
  pytorch: { y: (x) => -x, dx: (_x, _y, dy) => -dy }, // grad.neg()
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[1, -2, 0]], y: [-1, 2, -0] }],
  },
});
