import { unaryCases, unaryOp } from './elementwise.ts';

/** y = max(0, x); dx = dy where x > 0, else 0 (subgradient 0 at x = 0). */
export const relu = unaryOp({
  name: 'relu',
  saves: 'x',
  f: (x) => (x <= 0 ? 0 : x), // NaN stays NaN
  df: (x) => (x > 0 ? 1 : 0), // subgradient 0 at x = 0
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[-1, 0, 2.5]], y: [0, 0, 2.5] }],
    nearKink: ([x]) => x.data.some((v) => Math.abs(v) < 1e-3),
  },
});
