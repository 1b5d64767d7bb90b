import { binaryCases, binaryOp, nearTie, torchExtremum } from './elementwise.ts';

/**
 * y = max(a, b) (broadcasting; NaN if either is NaN); the max gate routes dy to the larger input, to a
 * unless b is strictly larger. A NaN compares false both ways, so both inputs get dy there, as in PyTorch.
 */
export const maximum = binaryOp({
  name: 'maximum',
  savesInputs: true,
  f: Math.max, // NaN if either is NaN
  routesA: (a, b) => !(a < b),
  routesB: (a, b) => !(a >= b),
  // derivatives.yaml: where(a == b, grad / 2, grad).masked_fill(a < b, 0), and masked where a > b for b
  pytorch: {
    y: torchExtremum(Math.max),
    da: (a, b, dy) => (a < b ? 0 : dy),
    db: (a, b, dy) => (a > b || a === b ? 0 : dy), // a === b: PyTorch gives dy / 2 to each
    exception: 'a tie (a == b, 0 == -0 included) sends all of dy to a; PyTorch gives dy / 2 to each',
  },
  test: {
    cases: binaryCases,
    golden: [
      {
        inputs: [
          [1, 5, -2],
          [3, 4, -2],
        ],
        y: [3, 5, -2],
      },
    ],
    nearKink: ([a, b]) => nearTie(a, b, 1e-3),
  },
});
