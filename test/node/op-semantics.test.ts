// What the registry suites cannot draw at random: where's float conditions of ±0, NaN and subnormals
// and int32 extremes, the user calls' defaults and bad arguments (PyTorch's), and softplus where
// float32 exp overflows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { relativeError } from '../../src/gradcheck.ts';
import { abs } from '../../src/ops/abs.ts';
import { argmax } from '../../src/ops/argmax.ts';
import { clamp } from '../../src/ops/clamp.ts';
import { leakyRelu } from '../../src/ops/leaky_relu.ts';
import { softplus } from '../../src/ops/softplus.ts';
import type { AnyOpSpec, Arg, TestCase } from '../../src/ops/spec.ts';
import { square } from '../../src/ops/square.ts';
import { where } from '../../src/ops/where.ts';
import { rng } from '../../src/random.ts';
import { apply, applyVjp, fromValues } from '../../src/tensor.ts';
import { dot, maxError, randomCotangent, randomInputs, runForward, runVjp, toFloat32 } from '../helpers.ts';

/** where's inputs with a float cond of zeros of both signs, NaN and numbers, mixed at random. */
function whereFloatArgs(c: TestCase<unknown>, seed: number): Arg[] {
  const [, a, b] = randomInputs(where.spec, c, seed);
  const next = rng(seed + 1);
  const picks = [0, -0, 1, -2.5, NaN, 3e-39]; // 3e-39: a subnormal float32, nonzero
  const shape = c.shapes[0];
  const data = Float64Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => picks[Math.floor(next() * picks.length)]);
  return [{ shape, dtype: 'float64', data }, a, b];
}

// Central differences in float64, as test/ops.test.ts.
const EPS = 1e-5;
const TOL = 1e-5;

/** The float64 VJP through autograd (unbroadcast included) against central differences of the CPU forward. */
async function finiteDifferences(spec: AnyOpSpec, args: readonly Arg[], attrs: unknown, seed: number): Promise<void> {
  const x = args.map((a, i) => fromValues(a.data, a.shape, spec.inputs[i].differentiable && a.dtype !== 'int32'));
  const y = apply(spec, x, attrs ?? {});
  if (y.dtype === 'int32') {
    expect(spec.vjp, 'an int32 output has no VJP').toBeUndefined();
    return;
  }
  expect(y.dtype).toBe('float64'); // float inputs are drawn in float64
  const dy = randomCotangent(y.size, seed);
  y.backward(fromValues(dy, y.shape));
  for (let i = 0; i < args.length; i++) {
    if (!spec.inputs[i].differentiable || args[i].dtype === 'int32') continue;
    const grad = x[i].grad;
    expect(grad, `input ${i} has a gradient`).not.toBeNull();
    expect(grad!.shape).toEqual(args[i].shape);
    const analytic = await grad!.data();
    const numeric = new Float64Array(args[i].data.length);
    for (let k = 0; k < numeric.length; k++) {
      const f = (delta: number) => {
        const moved = args.map((a, j) => (j === i ? { ...a, data: a.data.map((v, m) => (m === k ? v + delta : v)) } : a));
        return dot(runForward(spec, moved, attrs).data, dy);
      };
      numeric[k] = (f(EPS) - f(-EPS)) / (2 * EPS);
    }
    const { error, at } = relativeError(analytic, numeric);
    expect(error, `input ${i} element ${at}: analytic ${analytic[at]} vs numerical ${numeric[at]}`).toBeLessThan(TOL);
  }
}

describe('where: float conditions with zeros, NaN and subnormals, and int32 extremes', () => {
  it.each(where.spec.test.cases.map((c: TestCase<unknown>, i: number) => [JSON.stringify(c.shapes), c, i] as const))(
    'float cond of ±0, NaN, numbers: VJP matches central differences for %s',
    async (_l, c, i) => {
      await finiteDifferences(where.spec, whereFloatArgs(c, 4000 + i), {}, 77 + i);
    },
  );

  it('an int32 cond: -2^31 and every other nonzero count as true', async () => {
    const cond = cr.tensor([0, 1, -1, 2147483647, -2147483648, 0], { dtype: 'int32' });
    const y = apply(where.spec, [cond, cr.tensor([1, 2, 3, 4, 5, 6]), cr.tensor([-1, -2, -3, -4, -5, -6])], {});
    expect(Array.from(await y.data())).toEqual([-1, 2, 3, 4, 5, -6]);
  });
});

describe("the user calls (the specs' call)", () => {
  const ops = { abs, square, leakyRelu, softplus, clamp, where, argmax } as unknown as Record<string, ((...a: unknown[]) => cr.Tensor) & { spec: AnyOpSpec }>;

  it.each(Object.keys(ops))("%s(...inputs, ...test.args) records the first test case's attrs", async (name) => {
    const spec = ops[name].spec;
    const c = spec.test.cases[0];
    const inputs = toFloat32(randomInputs(spec, c, 1)).map((a) => fromValues(a.data, a.shape));
    const y = ops[name](...inputs, ...(spec.test.args ?? []));
    const want = apply(spec, inputs, c.attrs ?? {});
    expect(y.shape).toEqual(want.shape);
    expect(Array.from(await y.data())).toEqual(Array.from(await want.data()));
  });

  it('defaults and absent arguments follow PyTorch', async () => {
    const x = cr.tensor([-2, -0.5, 0.5, 3]);
    expect(Array.from(await leakyRelu(x).data())).toEqual(Array.from(Float32Array.of(-0.02, -0.005, 0.5, 3)));
    expect(Array.from(await softplus(cr.tensor([0, 30])).data())).toEqual([Math.fround(Math.LN2), 30]);
    expect(Array.from(await clamp(x, null, 1).data())).toEqual([-2, -0.5, 0.5, 1]);
    expect(Array.from(await clamp(x, 0).data())).toEqual([0, 0, 0.5, 3]);
    const m = cr.tensor([
      [1, 7, 3],
      [6, 5, 8],
    ]);
    expect(await argmax(m).item()).toBe(5);
    expect(await argmax(m, -1, true).array()).toEqual([[1], [2]]);
    expect(argmax(m, 0).dtype).toBe('int32');
    expect(await where(cr.tensor([[1], [0]]), cr.tensor([5, 6]), 0).array()).toEqual([
      [5, 6],
      [0, 0],
    ]);
    expect(await where(cr.tensor([0, 3], { dtype: 'int32' }), 1, 0).array()).toEqual([0, 1]); // numbers: float32 constants
  });

  it('bad arguments are OpErrors naming the op', () => {
    const x = cr.tensor([1, 2, 3]);
    expect(() => clamp(x)).toThrow(/^clamp: at least one of min and max must be given/);
    expect(() => clamp(x, NaN)).toThrow(/^clamp: min must be a number, got NaN/);
    expect(() => leakyRelu(x, Infinity)).toThrow(/^leaky_relu: negativeSlope must be a finite number/);
    expect(() => softplus(x, 0)).toThrow(/^softplus: beta must be a finite nonzero number/);
    expect(() => argmax(x, 1)).toThrow(/^argmax: axis 1 is out of range/);
    expect(() => argmax(cr.zeros([2, 0]), 1)).toThrow(/^argmax: cannot take the argmax over an empty axis/);
    expect(() => argmax(cr.zeros([0]))).toThrow(/^argmax: cannot take the argmax over an empty axis/);
    expect(() => where(cr.tensor([1, 0]), x, 0)).toThrow(/^where: shapes cannot be broadcast \(cond \[2\], a \[3\], b \[\]\)/);
    expect(() => where(x, cr.tensor([1, 2, 3], { dtype: 'int32' }), 0)).toThrow(/^where: a must be a float tensor/);
  });
});

describe('on webgpu', () => {
  beforeAll(async () => {
    const info = await cr.init({ device: 'webgpu' });
    expect(info.device).toBe('webgpu');
  });
  afterAll(() => cr.dispose());

  it.each(where.spec.test.cases.map((c: TestCase<unknown>, i: number) => [JSON.stringify(c.shapes), c, i] as const))(
    'where with a float cond of ±0, NaN, subnormals and numbers matches the CPU reference for %s',
    async (_l, c, i) => {
      const args = toFloat32(whereFloatArgs(c, 5000 + i));
      const x = args.map((a, k) => fromValues(a.data, a.shape, k > 0));
      const y = apply(where.spec, x, {});
      const want = runForward(where.spec, args, {});
      expect(y.shape).toEqual(want.shape);
      expect(Array.from(await y.data())).toEqual(Array.from(want.data)); // a copy: exact
      const dy = { shape: want.shape, dtype: 'float32' as const, data: Float32Array.from(randomCotangent(want.data.length, 6000 + i)) };
      for (const wrt of [1, 2]) {
        const dx = await applyVjp(y, wrt, fromValues(dy.data, dy.shape)).data();
        expect(Array.from(dx), `where_vjp (input ${wrt})`).toEqual(Array.from(runVjp(where.spec, args, {}, dy, wrt).data));
      }
    },
  );

  it('where with an int32 cond holding -2^31 matches the CPU reference', async () => {
    const cond = cr.tensor([0, 1, -1, 2147483647, -2147483648, 0], { dtype: 'int32' });
    const y = where(cond, cr.tensor([1, 2, 3, 4, 5, 6]), cr.tensor([-1, -2, -3, -4, -5, -6]));
    expect(Array.from(await y.data())).toEqual([-1, 2, 3, 4, 5, -6]);
  });

  it('softplus stays finite where float32 exp overflows (beta x up to 3000)', async () => {
    const y = softplus(cr.tensor([-100, -3, 0, 3, 100]), 30, 1e6);
    const got = Array.from(await y.data());
    const want = [0, Math.log1p(Math.exp(-90)) / 30, Math.LN2 / 30, 3, 100]; // PyTorch's float32: [0, 0, 0.0231, Infinity, Infinity]
    expect(maxError(got, want)).toBeLessThan(1e-6);
  });
});
