import { binaryCases, binaryOp } from './elementwise.ts';

/** y = a + b (broadcasting); da = dy, db = dy: the add gate distributes the gradient. */
export const add = binaryOp({
  name: 'add',
  savesInputs: false,
  passes: [0, 1],
  f: (a, b) => a + b,
  dfa: () => 1,
  dfb: () => 1,
  pytorch: { y: (a, b) => a + b, da: (_a, _b, dy) => dy, db: (_a, _b, dy) => dy },
  test: {
    cases: binaryCases,
    golden: [
      {
        inputs: [
          [1, 2, 3],
          [10, 20, 30],
        ],
        y: [11, 22, 33],
      },
      {
        inputs: [
          [[1], [2]],
          [10, 20, 30],
        ],
        y: [
          [11, 21, 31],
          [12, 22, 32],
        ],
      },
    ],
  },
});
