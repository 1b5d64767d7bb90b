/** Elementwise op builders (unary, broadcasting binary) and their special-value tables. */
import { promoteFloat } from '../dtype.ts';
import { broadcastIndex, broadcastShapes, broadcastStrides, sameShape, sizeOf, type Shape } from '../shape.ts';
import { defineOp } from './define.ts';
import { Params } from './params.ts';
import type { Tensor } from '../tensor.ts';
import { ANY_ZERO, type Arg, type Expected, type OpSpec, type SpecialCase, type TestSpec, type Call } from './spec.ts';

type Attrs = Record<string, never>;

/**
 * How dy becomes dx in an elementwise VJP: times the derivative (the chain rule), or, for a gate
 * that only routes (relu, maximum), dy where the gate is open and 0 elsewhere. A gate selects rather
 * than multiplies by 0 or 1, as PyTorch does, so a NaN or infinite dy stays out of a closed gate.
 */
type UnaryGrad = { df: (x: number, y: number) => number } | { routes: (x: number, y: number) => boolean };
type BinaryGrad =
  | { dfa: (a: number, b: number) => number; dfb: (a: number, b: number) => number }
  | { routesA: (a: number, b: number) => boolean; routesB: (a: number, b: number) => boolean };

/**
 * An elementwise op y = f(x) whose derivative dy/dx = df(x, y) (or gate `routes`) reads the saved
 * input, the saved output, or neither (`saves`). Forward and VJP sit side by side in each op file;
 * `pytorch` states PyTorch's semantics independently, for the special-value table.
 */
export function unaryOp(
  def: {
    name: string;
    saves: 'x' | 'y' | 'none';
    f: (x: number) => number;
    pytorch: TorchUnary;
    test: TestSpec<Attrs>;
  } & UnaryGrad,
) {
  const { f } = def;
  type Grad = (x: number, y: number, g: number) => number;
  const grad: Grad = 'routes' in def ? (x, y, g) => (def.routes(x, y) ? g : 0) : (x, y, g) => g * def.df(x, y);
  return defineOp({
    name: def.name,
    inputs: [{ name: 'x', dtype: 'float', differentiable: true }],
    call: (x: Tensor): Call<Attrs> => ({ inputs: [x], attrs: {} }),
    infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
    saves: { inputs: def.saves === 'x' ? [0] : [], output: def.saves === 'y' },
    fusible: 'unary',
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
      for (let i = 0; i < out.length; i++) out[i] = grad(xs ? xs[i] : NaN, ys ? ys[i] : NaN, g[i]);
    },
    test: { ...def.test, special: [...unarySpecial(def.pytorch), ...(def.test.special ?? [])] },
  } satisfies OpSpec<Attrs>);
}

/**
 * A broadcasting binary op y = f(a, b) with partials da = dfa(a, b), db = dfb(a, b) (or gates routesA,
 * routesB). The VJP writes cotangents at the broadcast (output) shape; autograd sums them back to a's
 * and b's shapes. `pytorch` states PyTorch's semantics independently, for the special-value table.
 */
export function binaryOp(
  def: {
    name: string;
    /** Whether the partials read a and b; add and sub read neither. */
    savesInputs: boolean;
    /** Inputs whose partial is 1 everywhere: their VJP is dy itself (add: both; sub: a). */
    passes?: readonly number[];
    f: (a: number, b: number) => number;
    pytorch: TorchBinary;
    test: TestSpec<Attrs>;
  } & BinaryGrad,
) {
  const { f } = def;
  type Grad = (a: number, b: number, g: number) => number;
  const [da, db]: Grad[] =
    'routesA' in def
      ? [(a, b, g) => (def.routesA(a, b) ? g : 0), (a, b, g) => (def.routesB(a, b) ? g : 0)]
      : [(a, b, g) => g * def.dfa(a, b), (a, b, g) => g * def.dfb(a, b)];
  return defineOp({
    name: def.name,
    // A number takes the other operand's float type (graph layer): x.mul(2), cr.sub(1, x).
    call: (a: Tensor | number, b: Tensor | number): Call<Attrs> => ({ inputs: [a, b], attrs: {} }),
    inputs: [
      { name: 'a', dtype: 'float', differentiable: true, number: true },
      { name: 'b', dtype: 'float', differentiable: true, number: true },
    ],
    infer: ([a, b]) => ({
      shape: broadcastShapes(def.name, a.shape, b.shape),
      dtype: promoteFloat([a.dtype, b.dtype]),
    }),
    saves: { inputs: def.savesInputs ? [0, 1] : [], output: false },
    fusible: 'binary',
    fwd([a, b], y) {
      const [as, bs, ys] = [a.data, b.data, y.data];
      const [ia, ib] = [operandIndex(a.shape, y.shape), operandIndex(b.shape, y.shape)];
      for (let i = 0; i < ys.length; i++) {
        ys[i] = f(as[typeof ia === 'number' ? i % ia : ia[i]], bs[typeof ib === 'number' ? i % ib : ib[i]]);
      }
    },
    vjp({ x: [a, b], xMeta, dy }, wrt, dx) {
      const d = wrt === 0 ? da : db;
      const [g, out] = [dy.data, dx.data];
      if (!a || !b) {
        for (let i = 0; i < out.length; i++) out[i] = d(NaN, NaN, g[i]); // constant partials (add, sub)
        return;
      }
      const [ia, ib] = [operandIndex(xMeta[0].shape, dx.shape), operandIndex(xMeta[1].shape, dx.shape)];
      for (let i = 0; i < out.length; i++) {
        out[i] = d(a.data[typeof ia === 'number' ? i % ia : ia[i]], b.data[typeof ib === 'number' ? i % ib : ib[i]], g[i]);
      }
    },
    vjpShape: (_x, y) => y.shape,
    ...(def.passes ? { identity: { vjp: def.passes } } : {}),
    gpu: {
      fwd: ([a, b], y) => ({ threads: sizeOf(y.shape), params: broadcastParams(def.name, a.shape, b.shape, y.shape, 0) }),
      vjp: ([a, b], _y, wrt, dx) => ({ threads: sizeOf(dx.shape), params: broadcastParams(def.name, a.shape, b.shape, dx.shape, wrt) }),
    },
    test: { ...def.test, special: [...binarySpecial(def.pytorch), ...(def.test.special ?? [])] },
  } satisfies OpSpec<Attrs>);
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
export function trailingModulus(x: Shape, out: Shape): number {
  const first = x.findIndex((d) => d !== 1);
  const core = first < 0 ? [] : x.slice(first);
  return sameShape(core, out.slice(out.length - core.length)) ? Math.max(sizeOf(core), 1) : 0;
}

/** Test shapes every broadcasting binary op runs on: equal, scalar, row/column broadcast, odd, empty. */
export const binaryCases = [
  { shapes: [[5], [5]] },
  { shapes: [[], []] },
  { shapes: [[3, 4], []] },
  {
    shapes: [
      [3, 1],
      [1, 4],
    ],
  },
  { shapes: [[2, 3, 5], [5]] },
  { shapes: [[1], [7, 13]] },
  {
    shapes: [
      [4, 1, 3],
      [2, 1],
    ],
  },
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

/** The values every elementwise special-value table crosses: the IEEE specials and a few ordinary numbers. */
export const specialValues: readonly number[] = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2];

/**
 * PyTorch's semantics of a unary op in float32, written from its kernel (y) and its backward formula in
 * tools/autograd/derivatives.yaml (dx), evaluated in IEEE arithmetic. Not the CPU reference: it checks it.
 */
export interface TorchUnary {
  y(x: number): number;
  dx(x: number, y: number, dy: number): Expected;
}

/** PyTorch's semantics of a binary op: y and the VJP of a and of b (see TorchUnary). */
export interface TorchBinary {
  y(a: number, b: number): Expected;
  da(a: number, b: number, dy: number): Expected;
  db(a: number, b: number, dy: number): Expected;
  /** Where chainrule departs from PyTorch on purpose; the formulas above then state chainrule's convention. */
  exception?: string;
}

/** The full special-value table of a unary op: every x in specialValues against every dy in specialValues. */
export function unarySpecial(torch: TorchUnary): SpecialCase<Attrs>[] {
  const pairs = specialValues.flatMap((dy) => specialValues.map((x) => [x, dy] as const));
  return [
    {
      inputs: [pairs.map(([x]) => x)],
      y: pairs.map(([x]) => torch.y(x)),
      dy: pairs.map(([, dy]) => dy),
      dx: [pairs.map(([x, dy]) => torch.dx(x, torch.y(x), dy))],
      elementwise: true,
    },
  ];
}

/** The full special-value table of a binary op: every (a, b, dy) in specialValues^3, equal shapes. */
export function binarySpecial(torch: TorchBinary): SpecialCase<Attrs>[] {
  const triples = specialValues.flatMap((dy) => specialValues.flatMap((b) => specialValues.map((a) => [a, b, dy] as const)));
  return [
    {
      inputs: [triples.map(([a]) => a), triples.map(([, b]) => b)],
      y: triples.map(([a, b]) => torch.y(a, b)),
      dy: triples.map(([, , dy]) => dy),
      dx: [triples.map(([a, b, dy]) => torch.da(a, b, dy)), triples.map(([a, b, dy]) => torch.db(a, b, dy))],
      elementwise: true,
      exception: torch.exception,
    },
  ];
}

/** torch.maximum / torch.minimum in float32: NaN if either is NaN; a zero of either sign for 0 against -0 (the sign depends on PyTorch's code path). */
export function torchExtremum(pick: (a: number, b: number) => number): (a: number, b: number) => Expected {
  return (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a === 0 && b === 0 && !Object.is(a, b) ? ANY_ZERO : pick(a, b));
}
