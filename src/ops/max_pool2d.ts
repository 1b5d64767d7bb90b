import { defineOp, ndimOf } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { fail } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../shape.ts';
import { Params, type Dispatch } from './params.ts';
import type { Arg, Meta, OpSpec, Call, TestCase } from './spec.ts';

// What max_pool2d and avg_pool2d (which imports it from here) share: the options (kernelSize,
// stride, padding, each a number or [h, w]), the shape rule with PyTorch's checks (ceil_mode false,
// dilation 1), the window geometry, the kernel launches and the test shapes.

/** A size per spatial axis, [h, w]. */
export type Pair = readonly [number, number];

export interface Pool2dOptions {
  /** The window, [kh, kw] or one number for both. */
  readonly kernelSize: number | Pair;
  /** The step between windows; default kernelSize. */
  readonly stride?: number | Pair;
  /** Implicit padding on both sides of each spatial axis; default 0. */
  readonly padding?: number | Pair;
}

export interface Pool2dAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: Pair;
}

/** cr.<pool>(x, { kernelSize, stride, padding }): the options normalized to pairs (checked in infer). */
export function poolCall(op: string, x: Tensor, options: Pool2dOptions): { inputs: [Tensor]; attrs: Pool2dAttrs } {
  ndimOf(op, x);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail(op, `options must be an object { kernelSize, stride?, padding? }, got ${JSON.stringify(options) ?? typeof options}`);
  }
  if (options.kernelSize === undefined) fail(op, `options.kernelSize is required, got ${JSON.stringify(options)}`);
  const kernel = pair(op, 'kernelSize', options.kernelSize);
  const stride = options.stride === undefined ? kernel : pair(op, 'stride', options.stride);
  const padding = options.padding === undefined ? ([0, 0] as const) : pair(op, 'padding', options.padding);
  return { inputs: [x], attrs: { kernel, stride, padding } };
}

function pair(op: string, name: string, v: number | Pair): Pair {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  return fail(op, `${name} must be a number or a pair [h, w], got ${JSON.stringify(v) ?? typeof v}`);
}

/** Output size of one spatial axis: floor((n + 2 pad - k) / stride) + 1. */
const outSize = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

/** The shape rule: x [N, C, H, W] -> [N, C, OH, OW], with PyTorch's checks, each naming the op and the shapes. */
export function poolInfer(op: string, x: Meta, { kernel, stride, padding }: Pool2dAttrs): Meta {
  const where = `x ${formatShape(x.shape)}, kernelSize ${formatShape(kernel)}, stride ${formatShape(stride)}, padding ${formatShape(padding)}`;
  if (x.shape.length !== 4) fail(op, `x must be [N, C, H, W] (rank 4), got ${where}`);
  const positive = (v: Pair) => v.every((d) => Number.isInteger(d) && d >= 1);
  if (!positive(kernel)) fail(op, `kernelSize must be positive integers, got ${where}`);
  if (!positive(stride)) fail(op, `stride must be positive integers, got ${where}`);
  if (!padding.every((d) => Number.isInteger(d) && d >= 0)) fail(op, `padding must be non-negative integers, got ${where}`);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) fail(op, `padding should be at most half of the kernel size, got ${where}`);
  const [, , h, w] = x.shape;
  if (kernel[0] > h + 2 * padding[0] || kernel[1] > w + 2 * padding[1]) {
    fail(op, `the kernel is larger than the padded input [${h + 2 * padding[0]},${w + 2 * padding[1]}] (${where})`);
  }
  const shape = [x.shape[0], x.shape[1], outSize(h, kernel[0], stride[0], padding[0]), outSize(w, kernel[1], stride[1], padding[1])];
  return { shape, dtype: x.dtype };
}

/** The window of output (oh, ow) clipped to the input: rows [h0, h1), columns [w0, w1). */
export function windowOf(x: Shape, { kernel, stride, padding }: Pool2dAttrs, oh: number, ow: number): [number, number, number, number] {
  const hs = oh * stride[0] - padding[0];
  const ws = ow * stride[1] - padding[1];
  return [Math.max(hs, 0), Math.min(hs + kernel[0], x[2]), Math.max(ws, 0), Math.min(ws + kernel[1], x[3])];
}

/**
 * Both pools' launches. The forward runs an invocation per element of y. WGSL has no float atomics
 * to scatter dx with, so where windows do not overlap (stride >= kernel, the usual 2x2 pooling) the
 * VJP runs an invocation per window, which writes its cell (its stride-by-stride block, the only
 * one that holds it); else an invocation per element of dx, which gathers from the windows that
 * cover it. p: n, h, w, oh, ow, kh, kw, sh, sw, ph, pw, cells (shaders/lib/pool2d.wgsl).
 */
export function poolLaunch(x: Shape, y: Shape, { kernel, stride, padding }: Pool2dAttrs, kind: 'fwd' | 'vjp'): Dispatch {
  // cells 2: the usual 2x2 pooling of an even-sized input, whose windows tile it: the kernels take a fast path without loops
  const quads = [...kernel, ...stride].every((k) => k === 2) && padding[0] === 0 && padding[1] === 0 && x[2] % 2 === 0 && x[3] % 2 === 0;
  const cells = quads ? 2 : kind === 'vjp' && stride[0] >= kernel[0] && stride[1] >= kernel[1] ? 1 : 0;
  const n = sizeOf(kind === 'fwd' || cells > 0 ? y : x);
  return { threads: n, params: new Params().u32(n, x[2], x[3], y[2], y[3], ...kernel, ...stride, ...padding, cells) };
}

const at = (shape: Shape, k: Pair, s: Pair, p: Pair): TestCase<Pool2dAttrs> => ({ shapes: [shape], attrs: { kernel: k, stride: s, padding: p } });

/**
 * Odd sizes with stride 2 (the last row and column left out), even ones (2x2 windows tiling x), overlapping windows (stride 1,
 * kernel 2; kernel 3, stride 2), padding, a rectangular window with stride != kernel, batch 1, 1x1
 * windows, one window over the whole input, padding without overlap, stride > kernel (gaps between
 * windows), and an empty batch. The first is what the surface test calls with { kernelSize: 2 }.
 */
export const poolCases: readonly TestCase<Pool2dAttrs>[] = [
  at([2, 3, 7, 9], [2, 2], [2, 2], [0, 0]),
  at([2, 3, 6, 8], [2, 2], [2, 2], [0, 0]), // even sizes: the GPU's fast path for 2x2 pooling
  at([1, 2, 5, 6], [2, 2], [1, 1], [0, 0]),
  at([2, 1, 7, 5], [3, 3], [2, 2], [1, 1]),
  at([1, 2, 6, 7], [3, 2], [2, 3], [1, 0]),
  at([1, 3, 4, 5], [1, 1], [1, 1], [0, 0]),
  at([3, 2, 3, 3], [3, 3], [3, 3], [0, 0]),
  at([1, 1, 2, 3], [2, 2], [1, 1], [1, 1]),
  at([1, 2, 5, 4], [2, 2], [2, 2], [1, 1]),
  at([1, 1, 5, 7], [1, 2], [2, 3], [0, 0]),
  at([0, 2, 4, 4], [2, 2], [2, 2], [0, 0]),
];

const k2 = (padding: Pair = [0, 0]): Pool2dAttrs => ({ kernel: [2, 2], stride: [2, 2], padding });

/**
 * y[n, c, oh, ow] = max of x over the window of (oh, ow), padded positions -Infinity (never chosen);
 * dx: each window's dy goes to its first maximum in row-major order (a NaN wins: the last NaN, as
 * PyTorch's kernels pick it), summed where windows overlap. PyTorch's max_pool2d with ceil_mode
 * false and dilation 1.
 */
export const maxPool2d = defineOp({
  name: 'max_pool2d',
  call: (x: Tensor, options: Pool2dOptions): Call<Pool2dAttrs> => poolCall('max_pool2d', x, options),
  inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
  infer: ([x], attrs) => poolInfer('max_pool2d', x, attrs),
  // The CPU VJP recomputes each argmax from x; the WebGPU VJP (one invocation per dx element) also
  // reads y, so that it scans a window only where x equals that window's maximum.
  saves: { inputs: [0], output: true },
  fusible: 'epilogue', // every output is stored through emit() (shaders/lib/pool2d.wgsl): ReLU's VJP after the pool's runs in it
  fwd([x], y, attrs) {
    const winner = argmaxes(x, y.shape, attrs);
    for (let j = 0; j < winner.length; j++) y.data[j] = x.data[winner[j]];
  },
  vjp({ x: [x], dy, attrs }, _wrt, dx) {
    const winner = argmaxes(x!, dy.shape, attrs);
    for (let j = 0; j < winner.length; j++) dx.data[winner[j]] += dy.data[j];
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
              [5, 6],
              [8, 9],
            ],
          ],
        ],
      },
      // a tie (3 twice, then 0 three times), odd width: the last column is left out
      {
        inputs: [
          [
            [
              [
                [1, 3, 0, 0, 7],
                [3, 2, 0, -1, 7],
              ],
            ],
          ],
        ],
        attrs: k2(),
        y: [[[[3, 0]]]],
      },
      // windows touching the padding: padded positions are -Infinity, not 0
      {
        inputs: [
          [
            [
              [
                [-1, -2],
                [-3, -4],
              ],
            ],
          ],
        ],
        attrs: { kernel: [2, 2], stride: [1, 1], padding: [1, 1] },
        y: [
          [
            [
              [-1, -1, -2],
              [-1, -1, -2],
              [-3, -3, -4],
            ],
          ],
        ],
      },
      // two images, two channels, a 3x2 window with stride [1, 2]
      {
        inputs: [
          [
            [
              [
                [1, 9, 2, 8, 3],
                [-9, -1, -8, -2, -7],
                [2, 10, 3, 9, 4],
              ],
              [
                [-5, -4, -3, -2, -1],
                [-15, -14, -13, -12, -11],
                [-4, -3, -2, -1, 0],
              ],
            ],
            [
              [
                [0, 0, 1, 1, 0],
                [-10, -10, -9, -9, -10],
                [1, 1, 2, 2, 1],
              ],
              [
                [6, 5, 4, 3, 2],
                [-4, -5, -6, -7, -8],
                [7, 6, 5, 4, 3],
              ],
            ],
          ],
        ],
        attrs: { kernel: [3, 2], stride: [1, 2], padding: [0, 0] },
        y: [
          [[[10, 9]], [[-3, -1]]],
          [[[1, 2]], [[7, 5]]],
        ],
      },
    ],
    // PyTorch (CPU and CUDA kernels): scan the window row-major, take v if v > best or v is NaN;
    // backward: dx zeroed, then dx[argmax] += dy for each window.
    special: [
      // a NaN wins its window; a tie goes to the first maximum; a NaN or Infinity dy reaches only the winner
      {
        inputs: [
          [
            [
              [
                [NaN, 1, 5, 5],
                [2, 3, 5, 0],
              ],
            ],
          ],
        ],
        attrs: k2(),
        y: [[[[NaN, 5]]]],
        dy: [[[[NaN, Infinity]]]],
        dx: [
          [
            [
              [
                [NaN, 0, Infinity, 0],
                [0, 0, 0, 0],
              ],
            ],
          ],
        ],
      },
      // two NaNs: PyTorch's index is the last NaN of the window
      {
        inputs: [
          [
            [
              [
                [1, NaN],
                [NaN, 2],
              ],
            ],
          ],
        ],
        attrs: k2(),
        y: [[[[NaN]]]],
        dy: [[[[4]]]],
        dx: [
          [
            [
              [
                [0, 0],
                [4, 0],
              ],
            ],
          ],
        ],
      },
      // all -Infinity: the first position wins; windows touching the padding, overlapping (dy summed)
      {
        inputs: [[[[[-Infinity, Infinity]]]]],
        attrs: { kernel: [2, 2], stride: [1, 1], padding: [1, 1] },
        y: [
          [
            [
              [-Infinity, Infinity, Infinity],
              [-Infinity, Infinity, Infinity],
            ],
          ],
        ],
        dy: [
          [
            [
              [1, 2, NaN],
              [-0, 4, 8],
            ],
          ],
        ],
        dx: [[[[[1, NaN]]]]],
      },
      // a ±0 tie: the first (its sign kept) wins; dx = 0 + dy, so a -0 dy gives +0
      {
        inputs: [
          [
            [
              [
                [-0, 0],
                [0, -0],
              ],
            ],
          ],
        ],
        attrs: { kernel: [1, 2], stride: [1, 1], padding: [0, 0] },
        y: [[[[-0], [0]]]],
        dy: [[[[-0], [-0]]]],
        dx: [
          [
            [
              [
                [0, 0],
                [0, 0],
              ],
            ],
          ],
        ],
      },
    ],
    nearKink: ([x], attrs) => nearTieInWindow(x, attrs, 1e-3),
  },
} satisfies OpSpec<Pool2dAttrs>);

/** Flat index in x of each window's maximum: the first in row-major order, or the last NaN (PyTorch's rule). */
function argmaxes(x: Arg, y: Shape, attrs: Pool2dAttrs): Int32Array {
  const [n, c, oh, ow] = y;
  const [h, w] = [x.shape[2], x.shape[3]];
  const winner = new Int32Array(n * c * oh * ow);
  let j = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const [h0, h1, w0, w1] = windowOf(x.shape, attrs, r, q);
        let best = -Infinity;
        let at = base + h0 * w + w0;
        for (let i = h0; i < h1; i++) {
          for (let k = w0; k < w1; k++) {
            const v = x.data[base + i * w + k];
            if (v > best || Number.isNaN(v)) {
              best = v;
              at = base + i * w + k;
            }
          }
        }
        winner[j++] = at;
      }
    }
  }
  return winner;
}

/** True if a window's top two values are closer than gap: finite differences would cross the tie. */
function nearTieInWindow(x: Arg, attrs: Pool2dAttrs, gap: number): boolean {
  const y = poolInfer('max_pool2d', x, attrs).shape;
  const [h, w] = [x.shape[2], x.shape[3]];
  for (let plane = 0; plane < y[0] * y[1]; plane++) {
    for (let r = 0; r < y[2]; r++) {
      for (let q = 0; q < y[3]; q++) {
        const [h0, h1, w0, w1] = windowOf(x.shape, attrs, r, q);
        const values: number[] = [];
        for (let i = h0; i < h1; i++) for (let k = w0; k < w1; k++) values.push(x.data[plane * h * w + i * w + k]);
        values.sort((a, b) => b - a);
        if (values.length > 1 && values[0] - values[1] < gap) return true;
      }
    }
  }
  return false;
}
