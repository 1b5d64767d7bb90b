import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { poolCall, poolCases, poolInfer, poolLaunch, windowOf, type Pool2dAttrs, type Pool2dOptions } from './max_pool2d.ts';
import type { OpSpec, Call } from './spec.ts';

/**
 * y[n, c, oh, ow] = sum of x over the window of (oh, ow) / (kh kw), padded positions counting as
 * zeros; dx: each window's dy / (kh kw) added to its positions inside x. PyTorch's avg_pool2d with
 * its defaults: count_include_pad true, ceil_mode false. (Options, shape rule and launches are
 * max_pool2d's.)
 */
export const avgPool2d = defineOp({
  name: 'avg_pool2d',
  call: (x: Tensor, options: Pool2dOptions): Call<Pool2dAttrs> => poolCall('avg_pool2d', x, options),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => poolInfer('avg_pool2d', x, attrs),
  saves: { inputs: [], output: false },
  fusible: 'epilogue', // every output is stored through emit() (shaders/lib/pool2d.wgsl)
  fwd([x], y, attrs) {
    const [h, w] = [x.shape[2], x.shape[3]];
    const [, , oh, ow] = y.shape;
    const count = attrs.kernel[0] * attrs.kernel[1];
    let j = 0;
    for (let plane = 0; plane < y.shape[0] * y.shape[1]; plane++) {
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          const [h0, h1, w0, w1] = windowOf(x.shape, attrs, r, q);
          let sum = 0;
          for (let i = h0; i < h1; i++) for (let k = w0; k < w1; k++) sum += x.data[plane * h * w + i * w + k];
          y.data[j++] = sum / count;
        }
      }
    }
  },
  vjp({ xMeta: [x], dy, attrs }, _wrt, dx) {
    const [h, w] = [x.shape[2], x.shape[3]];
    const [, , oh, ow] = dy.shape;
    const count = attrs.kernel[0] * attrs.kernel[1];
    let j = 0;
    for (let plane = 0; plane < dy.shape[0] * dy.shape[1]; plane++) {
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          const [h0, h1, w0, w1] = windowOf(x.shape, attrs, r, q);
          const share = dy.data[j++] / count;
          for (let i = h0; i < h1; i++) for (let k = w0; k < w1; k++) dx.data[plane * h * w + i * w + k] += share;
        }
      }
    }
  },
  gpu: {
    fwd: ([x], y, attrs) => poolLaunch(x.shape, y.shape, attrs, 'fwd'),
    vjp: ([x], y, _wrt, _dx, attrs) => poolLaunch(x.shape, y.shape, attrs, 'vjp'),
  },
  test: {
    cases: poolCases,
    args: [{ kernelSize: 2 }],
    golden: [
      // overlapping windows (stride 1)
      {
        inputs: [
          [
            [
              [
                [1, 2, 3],
                [4, 5, 6],
                [7, 8, 9],
              ],
            ],
          ],
        ],
        attrs: { kernel: [2, 2], stride: [1, 1], padding: [0, 0] },
        y: [
          [
            [
              [3, 4],
              [6, 7],
            ],
          ],
        ],
      },
      // stride 2 on an odd size: the last row and column are left out
      {
        inputs: [
          [
            [
              [
                [1, 2, 3, 4, 5],
                [6, 7, 8, 9, 10],
                [11, 12, 13, 14, 15],
              ],
            ],
          ],
        ],
        attrs: { kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
        y: [[[[4, 6]]]],
      },
      // windows touching the padding: zeros that count in the divisor (count_include_pad)
      {
        inputs: [
          [
            [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ],
        ],
        attrs: { kernel: [2, 2], stride: [1, 1], padding: [1, 1] },
        y: [
          [
            [
              [0.25, 0.75, 0.5],
              [1, 2.5, 1.5],
              [0.75, 1.75, 1],
            ],
          ],
        ],
      },
      // batch 2, two channels, a 1x3 window with stride [1, 2]
      {
        inputs: [
          [
            [[[3, 6, 9, 0, 3]], [[1, 1, 1, 1, 1]]],
            [[[-3, 0, 3, 6, 0]], [[0, 3, 0, 3, 3]]],
          ],
        ],
        attrs: { kernel: [1, 3], stride: [1, 2], padding: [0, 0] },
        y: [
          [[[6, 4]], [[1, 1]]],
          [[[0, 3]], [[1, 2]]],
        ],
      },
    ],
    // PyTorch (CPU and CUDA kernels): sum = 0, sum += each x of the window, y = sum / (kh kw);
    // backward: dx = 0, then dx += dy / (kh kw) for each window that covers it.
    special: [
      // NaN, and Infinity - Infinity, give NaN; a NaN or -Infinity dy spreads over its window
      {
        inputs: [
          [
            [
              [
                [NaN, 1, Infinity, 1, Infinity, 1],
                [2, 3, -Infinity, 0, 2, -0],
              ],
            ],
          ],
        ],
        attrs: { kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
        y: [[[[NaN, NaN, Infinity]]]],
        dy: [[[[1, NaN, -Infinity]]]],
        dx: [
          [
            [
              [
                [0.25, 0.25, NaN, NaN, -Infinity, -Infinity],
                [0.25, 0.25, NaN, NaN, -Infinity, -Infinity],
              ],
            ],
          ],
        ],
      },
      // -0 only: the sums start at +0, so y and dx are +0
      {
        inputs: [[[[[-0, -0]]]]],
        attrs: { kernel: [1, 2], stride: [1, 1], padding: [0, 0] },
        y: [[[[0]]]],
        dy: [[[[-0]]]],
        dx: [[[[[0, 0]]]]],
      },
      // windows touching the padding, overlapping: -Infinity / 2 and Infinity / 2 reach the shared position
      {
        inputs: [[[[[-Infinity, 3]]]]],
        attrs: { kernel: [1, 2], stride: [1, 1], padding: [0, 1] },
        y: [[[[-Infinity, -Infinity, 1.5]]]],
        dy: [[[[2, 4, Infinity]]]],
        dx: [[[[[3, Infinity]]]]],
      },
    ],
  },
} satisfies OpSpec<Pool2dAttrs>);
