import { promoteFloat } from '../dtype.ts';
import { broadcastIndex, broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape } from '../shape.ts';
import { Params } from './params.ts';
import type { Arg, OpSpec, TestSpec } from './spec.ts';

type Attrs = Record<string, never>;

/**
 * An elementwise op y = f(x) whose derivative dy/dx = df(x, y) reads the saved input, the saved
 * output, or neither (`saves`). Forward and VJP sit side by side in each op file.
 */
export function unaryOp(def: {
  name: string;
  saves: 'x' | 'y' | 'none';
  f: (x: number) => number;
  df: (x: number, y: number) => number;
  test: TestSpec<Attrs>;
}): OpSpec<Attrs> {
  const { f, df } = def;
  return {
    name: def.name,
    inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
    infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
    saves: { inputs: def.saves === 'x' ? [0] : [], output: def.saves === 'y' },
    fwd([x], y) {
      const xs = x.data;
      const ys = y.data;
      for (let i = 0; i < ys.length; i++) ys[i] = f(xs[i]);
    },
    gpu: {
      fwd: (_x, y) => ({ threads: sizeOf(y.shape), params: new Params().u32(sizeOf(y.shape)) }),
      vjp: (_x, _y, _wrt, dx) => ({ threads: sizeOf(dx.shape), params: new Params().u32(sizeOf(dx.shape)) }),
    },
    vjp({ x: [x], y, dy }, _wrt, dx) {
      const xs = x?.data;
      const ys = y?.data;
      const g = dy.data;
      const out = dx.data;
      for (let i = 0; i < out.length; i++) out[i] = g[i] * df(xs ? xs[i] : NaN, ys ? ys[i] : NaN);
    },
    test: def.test,
  };
}

/**
 * A broadcasting binary op y = f(a, b) with partials da = dfa(a, b), db = dfb(a, b).
 * The VJP writes cotangents at the broadcast (output) shape; autograd sums them back to a's and b's shapes.
 */
export function binaryOp(def: {
  name: string;
  /** Whether the partials read a and b; add and sub read neither. */
  savesInputs: boolean;
  f: (a: number, b: number) => number;
  dfa: (a: number, b: number) => number;
  dfb: (a: number, b: number) => number;
  test: TestSpec<Attrs>;
}): OpSpec<Attrs> {
  const { f, dfa, dfb } = def;
  return {
    name: def.name,
    inputs: [
      { name: 'a', dtype: 'float', differentiable: true },
      { name: 'b', dtype: 'float', differentiable: true },
    ],
    infer: ([a, b]) => ({
      shape: broadcastShapes(def.name, a.shape, b.shape),
      dtype: promoteFloat([a.dtype, b.dtype]),
    }),
    saves: { inputs: def.savesInputs ? [0, 1] : [], output: false },
    fwd([a, b], y) {
      const [as, bs, ys] = [a.data, b.data, y.data];
      const [ia, ib] = [operandIndex(a.shape, y.shape), operandIndex(b.shape, y.shape)];
      for (let i = 0; i < ys.length; i++) {
        ys[i] = f(as[typeof ia === 'number' ? i % ia : ia[i]], bs[typeof ib === 'number' ? i % ib : ib[i]]);
      }
    },
    vjp({ x: [a, b], xMeta, dy }, wrt, dx) {
      const d = wrt === 0 ? dfa : dfb;
      const [g, out] = [dy.data, dx.data];
      if (!a || !b) {
        for (let i = 0; i < out.length; i++) out[i] = g[i] * d(NaN, NaN); // constant partials (add, sub)
        return;
      }
      const [ia, ib] = [operandIndex(xMeta[0].shape, dx.shape), operandIndex(xMeta[1].shape, dx.shape)];
      for (let i = 0; i < out.length; i++) {
        out[i] = g[i] * d(a.data[typeof ia === 'number' ? i % ia : ia[i]], b.data[typeof ib === 'number' ? i % ib : ib[i]]);
      }
    },
    vjpShape: (_x, y) => y.shape,
    gpu: {
      fwd: ([a, b], y) => ({ threads: sizeOf(y.shape), params: broadcastParams(def.name, a.shape, b.shape, y.shape, 0) }),
      vjp: ([a, b], _y, wrt, dx) => ({ threads: sizeOf(dx.shape), params: broadcastParams(def.name, a.shape, b.shape, dx.shape, wrt) }),
    },
    test: def.test,
  };
}

/**
 * Params of the broadcasting kernels: n, ndim, wrt, the modulus of a and b when each is a trailing
 * block of the output (0 if not: then the general path uses the output shape and a's and b's strides).
 */
function broadcastParams(op: string, a: Shape, b: Shape, out: Shape, wrt: number): Params {
  return new Params()
    .u32(sizeOf(out), out.length, wrt, trailingModulus(a, out), trailingModulus(b, out))
    .dims(out, op)
    .dims(broadcastStrides(a, out), op)
    .dims(broadcastStrides(b, out), op);
}

/**
 * How element i of the broadcast output finds its operand: a number n means index i % n (the operand
 * is a trailing block of the output, e.g. equal shapes, a scalar, or a bias row), else a full index map.
 */
function operandIndex(x: Shape, out: Shape): Int32Array | number {
  return trailingModulus(x, out) || broadcastIndex(x, out);
}

/** n if x (leading 1s aside) equals the trailing axes of out, so that element i reads x[i % n]; else 0. */
function trailingModulus(x: Shape, out: Shape): number {
  const first = x.findIndex((d) => d !== 1);
  const core = first < 0 ? [] : x.slice(first);
  return sameShape(core, out.slice(out.length - core.length)) ? Math.max(sizeOf(core), 1) : 0;
}

/** Test shapes every broadcasting binary op runs on: equal, scalar, row/column broadcast, odd, empty. */
export const binaryCases = [
  { shapes: [[5], [5]] },
  { shapes: [[], []] },
  { shapes: [[3, 4], []] },
  { shapes: [[3, 1], [1, 4]] },
  { shapes: [[2, 3, 5], [5]] },
  { shapes: [[1], [7, 13]] },
  { shapes: [[4, 1, 3], [2, 1]] },
  { shapes: [[0, 3], [3]] },
] as const;

/** Test shapes for unary ops: scalar, vector, odd matrix, 3-D, empty. */
export const unaryCases = [{ shapes: [[]] }, { shapes: [[7]] }, { shapes: [[5, 13]] }, { shapes: [[2, 3, 4]] }, { shapes: [[0, 4]] }] as const;

/** True if some pair of a and b, broadcast against each other, is closer than gap (a tie of max/min). */
export function nearTie(a: Arg, b: Arg, gap: number): boolean {
  const shape = broadcastShapes('nearTie', a.shape, b.shape);
  const [ia, ib] = [broadcastIndex(a.shape, shape), broadcastIndex(b.shape, shape)];
  return ia.some((_, i) => Math.abs(a.data[ia[i]] - b.data[ib[i]]) < gap);
}
