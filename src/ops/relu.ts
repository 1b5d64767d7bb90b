import { unaryCases, unaryOp } from './elementwise.ts';

/** y = max(0, x) (NaN and -0 pass through, as in PyTorch); dx = dy where x > 0, else 0 (subgradient 0 at x = 0). */
export const relu = unaryOp({
  name: 'relu',
  saves: 'x',
  f: (x) => (x < 0 ? 0 : x), // NaN and -0 stay
  routes: (x) => !(x <= 0), // a gate: selects dy (0 at x = 0; a NaN x passes dy, as PyTorch's y <= 0 test does)
  // torch.relu is clamp_min(x, 0); its backward threshold_backward(grad, result, 0) = where(y <= 0, 0, grad)
  pytorch: { y: (x) => (Number.isNaN(x) || x >= 0 ? x : 0), dx: (_x, y, dy) => (y <= 0 ? 0 : dy) },
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[-1, 0, 2.5]], y: [0, 0, 2.5] }],
    nearKink: ([x]) => x.data.some((v) => Math.abs(v) < 1e-3),
  },
});
