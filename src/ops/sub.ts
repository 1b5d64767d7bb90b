import { binaryCases, binaryOp } from './elementwise.ts';

/** y = a - b (broadcasting); da = dy, db = -dy. */
export const sub = binaryOp({
  name: 'sub',
  savesInputs: false,
  f: (a, b) => a - b,
  dfa: () => 1,
  dfb: () => -1,
  test: {
    cases: binaryCases,
    golden: [{ inputs: [[[5, 7]], [[1], [2]]], y: [[4, 6], [3, 5]] }],
  },
});
