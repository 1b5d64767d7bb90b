import { binaryCases, binaryOp, nearTie } from './elementwise.ts';

/** y = min(a, b) (broadcasting); routes dy to the smaller input, to a unless b is strictly smaller. */
export const minimum = binaryOp({
  name: 'minimum',
  savesInputs: true,
  f: (a, b) => Math.min(a, b),
  dfa: (a, b) => (a > b ? 0 : 1),
  dfb: (a, b) => (a > b ? 1 : 0),
  test: {
    cases: binaryCases,
    golden: [{ inputs: [[1, 5, -2], [3, 4, -2]], y: [1, 4, -2] }],
    nearKink: ([a, b]) => nearTie(a, b, 1e-3),
  },
});
