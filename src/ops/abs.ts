import { unaryCases, unaryOp } from './elementwise.ts';

/** torch.sign: 1, -1, or 0 for ±0 and for NaN (`(0 < x) - (x < 0)`: a NaN compares false both ways). */
const sign = (x: number) => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);

/**
 * y = |x| (|-0| = 0, NaN stays NaN); dx = dy sign(x), with sign(±0) = sign(NaN) = 0 as PyTorch's sgn.
 * A product, not a gate, as in PyTorch: a NaN or infinite dy at x = 0 gives NaN.
 */
export const abs = unaryOp({
  name: 'abs',
  saves: 'x',
  f: Math.abs,
  df: (x) => sign(x), // d|x| = sign(x) dx; the subgradient 0 at x = 0
  // torch.abs clears the sign bit; derivatives.yaml: grad * self.sgn(), and sgn of a real tensor is
  // sign, (0 < x) - (x < 0): 0 at ±0 and at NaN (pytorch/pytorch#41245)
  pytorch: { y: (x) => (Number.isNaN(x) ? NaN : x < 0 || Object.is(x, -0) ? -x : x), dx: (x, _y, dy) => dy * (Number(0 < x) - Number(x < 0)) },
  test: {
    cases: unaryCases,
    golden: [{ inputs: [[-1.5, 0, 2, -0, -3]], y: [1.5, 0, 2, 0, 3] }],
    nearKink: ([x]) => x.data.some((v) => Math.abs(v) < 1e-3),
  },
});
