import { binaryCases, binaryOp } from './elementwise.ts';

/** y = a b (broadcasting); da = b dy, db = a dy: the mul gate switches its inputs. */
export const mul = binaryOp({
  name: 'mul',
  savesInputs: true,
  f: (a, b) => a * b,
  dfa: (_a, b) => b,
  dfb: (a) => a,
  pytorch: { y: (a, b) => a * b, da: (_a, b, dy) => dy * b, db: (a, _b, dy) => dy * a }, // grad * other, grad * self
  test: {
    cases: binaryCases,
    golden: [{ inputs: [[1, -2, 3], [4]], y: [4, -8, 12] }],
  },
});
