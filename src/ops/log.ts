import { unaryCases, unaryOp } from './elementwise.ts';

/** y = log(x) (natural); dx = dy / x. log(0) = -Infinity, log of a negative = NaN, as in IEEE. */
export const log = unaryOp({
  name: 'log',
  saves: 'x',
  f: Math.log,
  df: (x) => 1 / x, // d(log x) = dx / x
  pytorch: { y: Math.log, dx: (x, _y, dy) => dy / x }, // grad.div(self)
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[1, Math.E, 0.5]], y: [0, 1, Math.log(0.5)] }],
    domain: [[0.1, 3]],
  },
});
