import { binaryCases, binaryOp } from './elementwise.ts';

/** y = a / b (broadcasting); da = dy / b, db = -a dy / b^2. Division by 0 gives ±Infinity or NaN, as in IEEE. */
export const div = binaryOp({
  name: 'div',
  savesInputs: true,
  f: (a, b) => a / b,
  dfa: (_a, b) => 1 / b,
  dfb: (a, b) => -(a / b) / b, // NOTE: not a / (b * b), whose b * b underflows in f32
  pytorch: { y: (a, b) => a / b, da: (_a, b, dy) => dy / b, db: (a, b, dy) => -dy * (a / b / b) }, // div_tensor_other_backward
  test: {
    cases: binaryCases,
    golden: [
      {
        inputs: [
          [1, -3, 5],
          [2, 4, -10],
        ],
        y: [0.5, -0.75, -0.5],
      },
    ],
    inputDomains: [
      undefined,
      [
        [-2, -0.3],
        [0.3, 2],
      ],
    ], // b off the pole at 0
  },
});
