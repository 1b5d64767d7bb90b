import { binaryCases, binaryOp } from './elementwise.ts';

/** y = a - b (broadcasting); da = dy, db = -dy. */
export const sub = binaryOp({
  name: 'sub',
  savesInputs: false,
  passes: [0],
  f: (a, b) => a - b,
  dfa: () => 1,
  dfb: () => -1,
  pytorch: { y: (a, b) => a - b, da: (_a, _b, dy) => dy, db: (_a, _b, dy) => -dy },
  test: {
    cases: binaryCases,
    golden: [
      {
        inputs: [[[5, 7]], [[1], [2]]],
        y: [
          [4, 6],
          [3, 5],
        ],
      },
    ],
  },
});
