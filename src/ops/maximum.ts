import { binaryCases, binaryOp, nearTie } from './elementwise.ts';

/** y = max(a, b) (broadcasting); the max gate routes dy to the larger input, to a unless b is strictly larger. */
export const maximum = binaryOp({
  name: 'maximum',
  savesInputs: true,
  f: (a, b) => Math.max(a, b),
  dfa: (a, b) => (a < b ? 0 : 1),
  dfb: (a, b) => (a < b ? 1 : 0),
  test: {
    cases: binaryCases,
    golden: [{ inputs: [[1, 5, -2], [3, 4, -2]], y: [3, 5, -2] }],
    nearKink: ([a, b]) => nearTie(a, b, 1e-3),
  },
});
