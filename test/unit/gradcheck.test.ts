import { describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { apply } from '../../src/tensor.ts';
import { unaryCases, unaryOp } from '../../src/ops/elementwise.ts';

describe('gradcheck', () => {
  it('returns the max relative error per input', async () => {
    const a = cr.randn([3, 4], { seed: 1, dtype: 'float64' });
    const b = cr.randn([4, 2], { seed: 2, dtype: 'float64' });
    const errors = await cr.gradcheck((a, b) => a.matmul(b).tanh().sum(), [a, b]);
    expect(errors).toHaveLength(2);
    errors.forEach((e) => expect(e).toBeLessThan(1e-7));
  });

  it('checks non-scalar outputs through a random projection', async () => {
    const x = cr.randn([2, 5], { seed: 3, dtype: 'float64' });
    const [e] = await cr.gradcheck((x) => x.softmax(1), [x]);
    expect(e).toBeLessThan(1e-6);
  });

  it('checks a float32 analytic gradient against float64 differences with a float32 tolerance', async () => {
    const x = cr.randn([4, 3], { seed: 4 });
    const [e] = await cr.gradcheck((x) => cr.svmLoss(x, [0, 1, 2, 0]), [x]);
    expect(e).toBeLessThan(1e-3);
  });

  it('catches a wrong VJP, naming the input, the element and both values', async () => {
    // exp with a deliberately wrong derivative (1 instead of e^x)
    const badExp = unaryOp({
      name: 'bad_exp',
      saves: 'none',
      f: Math.exp,
      df: () => 1,
      pytorch: { y: Math.exp, dx: (_x, y, dy) => dy * y },
      test: { cases: unaryCases, golden: [] },
    });
    const x = cr.tensor([0.5, 1], { dtype: 'float64' });
    await expect(cr.gradcheck((x) => apply(badExp.spec, [x], {}).sum(), [x])).rejects.toThrow(
      /^gradcheck: input 0 \[2\] has relative error .* > tol 0\.00001 at \[1\]: analytic 1, numerical 2\.71828/,
    );
    await expect(cr.gradcheck((x) => apply(badExp.spec, [x], {}).sum(), [x], { tol: 1 })).resolves.toHaveLength(1);
  });

  it('an input fn does not use has a zero gradient', async () => {
    const [ea, eb] = await cr.gradcheck((a) => a.sum(), [cr.ones([2], { dtype: 'float64' }), cr.ones([3], { dtype: 'float64' })]);
    expect(ea).toBeLessThan(1e-9);
    expect(eb).toBe(0);
  });

  it('rejects integer inputs', async () => {
    await expect(cr.gradcheck((l) => l.oneHot(2).sum(), [cr.tensor([0], { dtype: 'int32' })])).rejects.toThrow(/^gradcheck: input 0 is int32/);
  });
});

describe('gradcheck on NaN gradients and dtypes', () => {
  it('a NaN gradient fails the check', async () => {
    // sqrt(x x) = |x| at 0: dy / (2 sqrt 0) = Inf, times 2x = 0 is NaN (as in PyTorch); the differences give 0
    const x = cr.tensor([0, 1], { dtype: 'float64' });
    await expect(cr.gradcheck((x) => x.mul(x).sqrt().sum(), [x])).rejects.toThrow(/relative error NaN/);
  });

  it('keeps a float32 analytic gradient in float32, and gradients have their input dtype', async () => {
    const a = cr.tensor([1, 2], { requiresGrad: true });
    const b = cr.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.dtype).toBe('float32');
    expect(b.grad!.dtype).toBe('float64');
    const x = cr.tensor([1, 2]);
    x.requiresGrad = true;
    x.mul(3).backward(cr.tensor([1, 1], { dtype: 'float64' }));
    expect(x.grad!.dtype).toBe('float32');
  });
});
