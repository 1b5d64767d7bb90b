import { defineOp } from './define.ts';
import type { Tensor } from '../tensor.ts';
import { promoteFloat } from '../dtype.ts';
import { fail } from '../errors.ts';
import { formatShape, type Shape } from '../shape.ts';
import { Params, type Dispatch } from './params.ts';
import { ANY_ZERO, type Meta, type OpSpec, type Call } from './spec.ts';

/** Normalized options: [h, w] pairs and the number of groups. */
export interface Conv2dAttrs {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;
}

/** What a user passes: each of stride, padding, dilation a number (both axes) or [h, w]. */
export interface Conv2dOptions {
  readonly stride?: number | readonly [number, number];
  readonly padding?: number | readonly [number, number];
  readonly dilation?: number | readonly [number, number];
  readonly groups?: number;
}

/**
 * 2-D convolution as torch.nn.functional.conv2d (a cross-correlation, zero padding):
 * x [N, C, H, W], w [OC, C / groups, KH, KW], b [OC] or [] -> y [N, OC, OH, OW],
 * y[n, o, i, j] = b[o] + sum over c, kh, kw of x[n, g C/groups + c, i sh - ph + kh dh, j sw - pw + kw dw] w[o, c, kh, kw]
 * (g = o / (OC / groups)). dx is the transposed convolution of dy with w, dw[o, c, kh, kw] sums dy times
 * the x it met over n, i, j, and db sums dy over n, i, j (over everything for a scalar b).
 */
export const conv2d = defineOp({
  name: 'conv2d',
  // torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups); b omitted or null is 0.
  call(x: Tensor, w: Tensor, b?: Tensor | number | null | Conv2dOptions, options: Conv2dOptions = {}): Call<Conv2dAttrs> {
    if (isOptions(b)) [b, options] = [undefined, b]; // conv2d(x, w, { padding: 1 })
    return { inputs: [x, w, b ?? 0], attrs: conv2dAttrs(options) };
  },
  inputs: [
    { name: 'x', dtype: 'float', differentiable: true },
    { name: 'w', dtype: 'float', differentiable: true },
    { name: 'b', dtype: 'float', differentiable: true, number: true },
  ],
  infer([x, w, b], attrs) {
    const shapes = `(x ${formatShape(x.shape)}, w ${formatShape(w.shape)}, b ${formatShape(b.shape)})`;
    if (x.shape.length !== 4) fail('conv2d', `x must have 4 dimensions [N, C, H, W] ${shapes}`);
    if (w.shape.length !== 4) fail('conv2d', `w must have 4 dimensions [outChannels, inChannels / groups, kH, kW] ${shapes}`);
    const { stride, padding, dilation, groups } = attrs;
    for (const [name, v, min] of [
      ['stride', stride, 1],
      ['dilation', dilation, 1],
      ['padding', padding, 0],
    ] as const) {
      if (!v.every((k) => Number.isInteger(k) && k >= min)) {
        fail('conv2d', `${name} must be ${min === 1 ? 'positive' : 'non-negative'} integers, got [${v.join(', ')}] ${shapes}`);
      }
    }
    if (!Number.isInteger(groups) || groups < 1) fail('conv2d', `groups must be a positive integer, got ${groups} ${shapes}`);
    const [, C, H, W] = x.shape;
    const [OC, CG, KH, KW] = w.shape;
    if (C % groups !== 0) fail('conv2d', `groups ${groups} does not divide the ${C} input channels ${shapes}`);
    if (OC % groups !== 0) fail('conv2d', `groups ${groups} does not divide the ${OC} output channels ${shapes}`);
    if (CG * groups !== C) {
      fail('conv2d', `x has ${C} channels but w expects ${CG} x ${groups} groups = ${CG * groups} ${shapes}`);
    }
    if (!(b.shape.length === 0 || (b.shape.length === 1 && b.shape[0] === OC)))
      fail('conv2d', `b must be [${OC}] (one per output channel) or a scalar ${shapes}`);
    if (KH < 1 || KW < 1) fail('conv2d', `the kernel ${KH} x ${KW} is empty ${shapes}`);
    const { OH, OW } = outSize(x.shape, w.shape, attrs);
    if (OH < 1 || OW < 1) {
      const [dh, dw] = dilation;
      fail(
        'conv2d',
        `the kernel (${KH} x ${KW}, dilated to ${dh * (KH - 1) + 1} x ${dw * (KW - 1) + 1}) is larger than the padded input ` +
          `(${H + 2 * padding[0]} x ${W + 2 * padding[1]}) ${shapes}`,
      );
    }
    return { shape: [x.shape[0], OC, OH, OW], dtype: promoteFloat([x.dtype, w.dtype, b.dtype]) };
  },
  saves: { inputs: [0, 1], output: false }, // db needs only dy, dx needs w, dw needs x
  fusible: 'epilogue', // every output is stored through emit() (shaders/conv2d.wgsl): ReLU after a conv runs in it
  fwd([x, w, b], y, attrs) {
    const acc = new Float64Array(y.data.length); // NOTE: accumulate in f64 so the reference beats any f32 order
    const [X, Wt, B] = [x.data, w.data, b.data];
    taps(x.shape, w.shape, attrs, (yi, xi, wi) => {
      acc[yi] += X[xi] * Wt[wi];
    });
    const [OC, P] = [w.shape[0], y.shape[2] * y.shape[3]];
    for (let i = 0; i < acc.length; i++) acc[i] += B[b.shape.length === 0 ? 0 : Math.floor(i / P) % OC];
    y.data.set(acc);
  },
  vjp({ x: [x, w], xMeta: [xm, wm, bm], dy, attrs }, wrt, dx) {
    const G = dy.data;
    const acc = new Float64Array(dx.data.length);
    if (wrt === 0) {
      const Wt = w!.data;
      taps(xm.shape, wm.shape, attrs, (yi, xi, wi) => {
        acc[xi] += G[yi] * Wt[wi];
      });
    } else if (wrt === 1) {
      const X = x!.data;
      taps(xm.shape, wm.shape, attrs, (yi, xi, wi) => {
        acc[wi] += G[yi] * X[xi];
      });
    } else {
      const [OC, P] = [dy.shape[1], dy.shape[2] * dy.shape[3]];
      for (let i = 0; i < G.length; i++) acc[bm.shape.length === 0 ? 0 : Math.floor(i / P) % OC] += G[i];
    }
    dx.data.set(acc);
  },
  gpu: {
    fwd: ([x, w, b], _y, attrs) => launch(x, w, b, attrs, 0, 'fwd'),
    vjp: ([x, w, b], _y, wrt, _dx, attrs) => launch(x, w, b, attrs, wrt, 'vjp'),
  },
  test: {
    cases: [
      { shapes: [[2, 3, 5, 7], [4, 3, 3, 3], [4]], attrs: conv2dAttrs({}) }, // odd sizes
      { shapes: [[1, 2, 6, 5], [3, 2, 3, 3], [3]], attrs: conv2dAttrs({ padding: 1 }) }, // batch 1, padding
      { shapes: [[2, 2, 7, 6], [4, 2, 3, 3], [4]], attrs: conv2dAttrs({ stride: 2, padding: 1 }) },
      { shapes: [[1, 2, 7, 7], [2, 2, 3, 3], [2]], attrs: conv2dAttrs({ dilation: 2, padding: [2, 1] }) },
      { shapes: [[2, 3, 4, 5], [5, 3, 1, 1], [5]], attrs: conv2dAttrs({}) }, // 1x1
      { shapes: [[1, 2, 7, 8], [3, 2, 5, 5], [3]], attrs: conv2dAttrs({ padding: 2 }) }, // 5x5
      { shapes: [[2, 4, 5, 5], [6, 2, 3, 3], [6]], attrs: conv2dAttrs({ padding: 1, groups: 2 }) },
      { shapes: [[1, 4, 6, 6], [4, 1, 3, 3], [4]], attrs: conv2dAttrs({ stride: [2, 1], padding: 1, groups: 4 }) }, // depthwise
      { shapes: [[2, 3, 5, 5], [4, 3, 2, 3], []], attrs: conv2dAttrs({ stride: [1, 2] }) }, // a scalar bias
      { shapes: [[1, 8, 6, 5], [8, 8, 3, 3], [8]], attrs: conv2dAttrs({ padding: 1, stride: [1, 2], dilation: [2, 1] }) }, // 4-channel blocks
      { shapes: [[2, 2, 5, 5], [4, 1, 3, 2], [4]], attrs: conv2dAttrs({ stride: 3, padding: [1, 2], groups: 2 }) }, // stride over the kernel
      { shapes: [[1, 9, 5, 4], [10, 9, 2, 2], [10]], attrs: conv2dAttrs({ padding: [1, 0] }) }, // 8-channel blocks, partly full
      { shapes: [[0, 2, 4, 4], [3, 2, 3, 3], [3]], attrs: conv2dAttrs({}) }, // empty batch
    ],
    golden: [
      {
        // y[i, j] = 1 x[i, j] + 2 x[i, j + 1] + 3 x[i + 1, j] + 4 x[i + 1, j + 1] + 1
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
          [
            [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          ],
          [1],
        ],
        attrs: conv2dAttrs({}),
        y: [
          [
            [
              [38, 48],
              [68, 78],
            ],
          ],
        ],
      },
      {
        // stride 2, padding 1: channel 0 sums the 3x3 neighbourhoods of the corners (zeros outside),
        // channel 1 (the centre tap) copies the corners; plus the scalar bias 0.5
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
          [
            [
              [
                [1, 1, 1],
                [1, 1, 1],
                [1, 1, 1],
              ],
            ],
            [
              [
                [0, 0, 0],
                [0, 1, 0],
                [0, 0, 0],
              ],
            ],
          ],
          0.5,
        ],
        attrs: conv2dAttrs({ stride: 2, padding: 1 }),
        y: [
          [
            [
              [12.5, 16.5],
              [24.5, 28.5],
            ],
            [
              [1.5, 3.5],
              [7.5, 9.5],
            ],
          ],
        ],
      },
      {
        // groups 2, dilation 2: a 2x2 kernel on the corners of each 3x3 channel; channel 0 sums them
        // (1 + 3 + 7 + 9), channel 1 takes the top left minus the bottom right (10 - 90), plus b
        inputs: [
          [
            [
              [
                [1, 2, 3],
                [4, 5, 6],
                [7, 8, 9],
              ],
              [
                [10, 20, 30],
                [40, 50, 60],
                [70, 80, 90],
              ],
            ],
          ],
          [
            [
              [
                [1, 1],
                [1, 1],
              ],
            ],
            [
              [
                [1, 0],
                [0, -1],
              ],
            ],
          ],
          [0, 1],
        ],
        attrs: conv2dAttrs({ dilation: 2, groups: 2 }),
        y: [[[[20]], [[-79]]]],
      },
    ],
    // IEEE sums of products (torch's conv2d; its VJPs are convolutions too): NaN and Infinity flow
    // through the taps that read them; padding contributes zeros (a zero gradient for w where it met padding).
    special: [
      {
        inputs: [[[[[NaN, 1]]]], [[[[2]]]], [0.5]],
        attrs: conv2dAttrs({}),
        y: [[[[NaN, 2.5]]]],
        dy: [[[[1, 1]]]],
        dx: [[[[[2, 2]]]], [[[[NaN]]]], [2]],
      },
      {
        inputs: [[[[[Infinity]]]], [[[[1, 2, 3]]]], 0],
        attrs: conv2dAttrs({ padding: [0, 1] }),
        y: [[[[Infinity]]]],
        dy: [[[[1]]]],
        dx: [[[[[2]]]], [[[[ANY_ZERO, Infinity, ANY_ZERO]]]], 1],
      },
      {
        inputs: [[[[[3]]]], [[[[2]]]], [1]],
        attrs: conv2dAttrs({}),
        y: [[[[7]]]],
        dy: [[[[NaN]]]],
        dx: [[[[[NaN]]]], [[[[NaN]]]], [NaN]],
      },
    ],
  },
} satisfies OpSpec<Conv2dAttrs>);

/** The options normalized: pairs for stride, padding and dilation (numbers for both axes), groups (default 1). */
export function conv2dAttrs(options: Conv2dOptions): Conv2dAttrs {
  if (typeof options !== 'object' || options === null) fail('conv2d', `options must be an object, got ${options === null ? 'null' : typeof options}`);
  const pair = (name: string, v: unknown, otherwise: number): [number, number] => {
    if (v === undefined) return [otherwise, otherwise];
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((k) => typeof k === 'number')) return [v[0] as number, v[1] as number];
    return fail('conv2d', `${name} must be a number or [h, w], got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  };
  const groups = options.groups ?? 1;
  if (typeof groups !== 'number') fail('conv2d', `groups must be a positive integer, got ${String(groups)}`);
  return {
    stride: pair('stride', options.stride, 1),
    padding: pair('padding', options.padding, 0),
    dilation: pair('dilation', options.dilation, 1),
    groups,
  };
}

/** An options object in the place of b (not a tensor, a number or null). */
function isOptions(v: unknown): v is Conv2dOptions {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !('shape' in v) && !ArrayBuffer.isView(v);
}

/** Output height and width: floor((H + 2 ph - dh (KH - 1) - 1) / sh) + 1, the same for W. */
function outSize(x: Shape, w: Shape, { stride, padding, dilation }: Conv2dAttrs): { OH: number; OW: number } {
  const out = (n: number, k: number, a: 0 | 1) => Math.floor((n + 2 * padding[a] - dilation[a] * (k - 1) - 1) / stride[a]) + 1;
  return { OH: out(x[2], w[2], 0), OW: out(x[3], w[3], 1) };
}

/**
 * Calls visit(yi, xi, wi) for every product of the convolution: y[yi] += x[xi] w[wi], padding (out
 * of range) left out. The CPU forward and its three VJPs are this walk, scattering where they sum.
 */
function taps(x: Shape, w: Shape, attrs: Conv2dAttrs, visit: (yi: number, xi: number, wi: number) => void): void {
  const [N, C, H, W] = x;
  const [OC, CG, KH, KW] = w;
  const { OH, OW } = outSize(x, w, attrs);
  const [[sh, sw], [ph, pw], [dh, dw]] = [attrs.stride, attrs.padding, attrs.dilation];
  const OCG = OC / attrs.groups;
  let yi = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      const c0 = Math.floor(o / OCG) * CG; // the group's first input channel
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++, yi++) {
          for (let c = 0; c < CG; c++) {
            const xc = (n * C + c0 + c) * H * W;
            const wc = (o * CG + c) * KH * KW;
            for (let kh = 0; kh < KH; kh++) {
              const ih = i * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = j * sw - pw + kw * dw;
                if (iw >= 0 && iw < W) visit(yi, xc + ih * W + iw, wc + kh * KW + kw);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Launch of shaders/conv2d.wgsl. Sizes are pipeline constants; p holds the batch. A register block
 * is BO channels x BO positions (or taps) where the group has BO = 8 or 4 channels or more, else 1 x 16:
 * fwd   an invocation per block of y (output channels x output positions);
 * dx    an invocation per block of dx (input channels x input positions);
 * dw    a workgroup per block of w (output channels x taps (c, kh, kw)), summing over n and positions;
 * db    a workgroup per output channel (one for a scalar b).
 */
function launch(xm: Meta, wm: Meta, bm: Meta, attrs: Conv2dAttrs, wrt: number, kind: 'fwd' | 'vjp'): Dispatch {
  const [N, C, H, W] = xm.shape;
  const [OC, CG, KH, KW] = wm.shape;
  const { OH, OW } = outSize(xm.shape, wm.shape, attrs);
  const G = attrs.groups;
  const OCG = OC / G;
  const mode = kind === 'fwd' ? 'fwd' : (['dx', 'dw', 'db'] as const)[wrt];
  const channels = mode === 'dx' ? CG : OCG;
  const bo = channels >= 8 ? 8 : channels >= 4 ? 4 : 1;
  const blocks = (rows: number, cols: number) => (bo === 1 ? rows * Math.ceil(cols / 16) : Math.ceil(rows / bo) * Math.ceil(cols / bo));
  const bs = bm.shape.length === 0 ? 1 : 0;
  const constants = {
    IC: C,
    IH: H,
    IW: W,
    OC,
    OH,
    OW,
    KH,
    KW,
    SH: attrs.stride[0],
    SW: attrs.stride[1],
    PH: attrs.padding[0],
    PW: attrs.padding[1],
    DH: attrs.dilation[0],
    DW: attrs.dilation[1],
    G,
    CG,
    OCG,
    BS: bs,
    WRT: kind === 'fwd' ? 0 : wrt,
    BO: bo,
  };
  const params = new Params().u32(N);
  if (mode === 'fwd') return { threads: N * G * blocks(OCG, OH * OW), params, constants };
  if (mode === 'dx') return { threads: N * G * blocks(CG, H * W), params, constants };
  if (mode === 'dw') return { groups: G * blocks(OCG, CG * KH * KW), params, constants };
  return { groups: bs ? 1 : OC, params, constants };
}
