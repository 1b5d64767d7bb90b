import { afterAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { updates } from '../../src/ops/registry.ts';
import { SPANS, type AnyUpdateSpec } from '../../src/ops/update.ts';
import { checkUpdate } from '../gpu-checks.ts';

// Optimizer updates: each spec's CPU reference against hand-computed steps; the fused in-place
// kernels against the reference on WebGPU; the optimizers' behaviour and errors on both devices.

afterAll(() => cr.dispose());

describe.each(updates.map((s) => [s.name, s] as const))('%s update', (_name, spec: AnyUpdateSpec) => {
  it.each(spec.test.golden.map((g, i) => [i, g] as const))('reference matches hand-computed step %i', (_i, g) => {
    const param = Float64Array.from(g.param);
    const state = spec.state.map(() => new Float64Array(param.length));
    g.grads.forEach((grad, k) => spec.step(param, Float64Array.from(grad), state, g.hypers[k]));
    g.want.forEach((w, i) => expect(param[i]).toBeCloseTo(w, 12));
  });

  // Each variant (elements per invocation) forced on: the 1000 elements are no multiple of any.
  it.each(spec.test.hypers.flatMap((h, i) => SPANS.names.map((span) => [i, span, h] as const)))(
    'webgpu kernel matches the reference (hyperparameters %i, %s per invocation)',
    async (i, span, hypers) => {
      await cr.init({ device: 'webgpu', variants: { [spec.name]: span } });
      for (const { kernel, error } of await checkUpdate(spec, hypers, i)) expect(error, kernel).toBeLessThan(1e-5);
    },
  );
});

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst, what).toBeLessThan(1e-5);
}

describe.each(['cpu', 'webgpu'] as const)('optimizers on %s', (device) => {
  const init = () => cr.init({ device, quiet: true });
  const leaf = (values: number[]) => cr.tensor(values, { requiresGrad: true });

  it('SGD with momentum takes the hand-computed steps and leaves the gradient readable', async () => {
    await init();
    const w = leaf([1, -2]);
    const opt = new cr.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    for (const g of [
      [0.5, 1],
      [1, -1],
    ]) {
      opt.zeroGrad();
      w.mul(cr.tensor(g)).sum().backward(); // d/dw of sum(w * g) is g
      opt.step();
    }
    expectClose(await w.data(), [0.805, -2.09], 'w');
    expectClose(await w.grad!.data(), [1, -1], 'grad');
    expectClose(await opt.state(w)![0].data(), [1.45, -0.1], 'velocity');
  });

  it('Adam minimises a quadratic, and the parameter keeps its identity', async () => {
    await init();
    const w = leaf([3, -4]);
    const opt = new cr.optim.Adam([w], { lr: 0.1 });
    for (let i = 0; i < 200; i++) {
      opt.zeroGrad();
      w.sub(cr.tensor([1, 2]))
        .pow(2)
        .sum()
        .backward();
      opt.step();
    }
    const [a, b] = await w.data();
    expect(Math.abs(a - 1) + Math.abs(b - 2)).toBeLessThan(1e-2); // at the minimum, up to Adam's jitter
    expect(opt.params[0]).toBe(w);
  });

  it('a tensor recorded before step() still sees the old parameter (it is computed first)', async () => {
    await init();
    const w = leaf([2]);
    const opt = new cr.optim.SGD([w], { lr: 1 });
    const y = w.mul(3);
    w.sum().backward();
    opt.step();
    expect(await y.item()).toBe(6);
    expect(await w.item()).toBe(1);
    expect(await w.mul(3).item()).toBe(3);
  });

  it('a tensor that would read a parameter changed under it fails, naming the op and the step', async () => {
    await init();
    const w = leaf([2]);
    const y = w.mul(3); // recorded before the optimizer tracks w
    const opt = new cr.optim.SGD([w], { lr: 1 });
    w.sum().backward();
    opt.step();
    await expect(y.data()).rejects.toThrow(/^mul: [\s\S]*which an optimizer step changed in place/);
  });

  it('parameters without a gradient are left alone; SGD without momentum keeps no velocity', async () => {
    await init();
    const [a, b] = [leaf([1]), leaf([1])];
    const opt = new cr.optim.SGD([a, b], { lr: 0.5 });
    a.sum().backward();
    opt.step();
    expect([await a.item(), await b.item()]).toEqual([0.5, 1]);
    expect(opt.state(a)![0].size).toBe(0);
    expect(opt.state(b)).toBeUndefined();
  });

  it('rejects bad parameters and hyperparameters with clear errors', async () => {
    await init();
    const w = leaf([1]);
    expect(() => new cr.optim.SGD([], { lr: 1 })).toThrow(/^SGD: got no parameters/);
    expect(() => new cr.optim.SGD([w], {} as never)).toThrow(/^SGD: options.lr .* is required/);
    expect(() => new cr.optim.SGD([w], { lr: -1 })).toThrow(/^SGD: lr must be a number in \[0, Infinity\), got -1/);
    expect(() => new cr.optim.SGD([w], { lr: NaN })).toThrow(/lr must be/);
    expect(() => new cr.optim.SGD([w], { lr: 1, nesterov: true })).toThrow(/^SGD: nesterov needs momentum > 0/);
    expect(() => new cr.optim.SGD([w, w], { lr: 1 })).toThrow(/^SGD: parameter 1 .* appears twice/);
    expect(() => new cr.optim.SGD([cr.tensor([1])], { lr: 1 })).toThrow(/^SGD: parameter 0 .*requiresGrad: true/);
    expect(() => new cr.optim.SGD([w.mul(2)], { lr: 1 })).toThrow(/^SGD: parameter 0 .*a leaf/);
    expect(() => new cr.optim.SGD([cr.tensor([1], { dtype: 'int32' })], { lr: 1 })).toThrow(/must be a float tensor/);
    expect(() => new cr.optim.Adam([w], { betas: [0.9, 1] })).toThrow(/^Adam: betas\[1\] must be a number in \[0, 1\), got 1/);
    expect(() => new cr.optim.Adam([w], { eps: -1 })).toThrow(/^Adam: eps must be/);
    const opt = new cr.optim.Adam([w], { lr: 0.1 });
    opt.lr = -0.1;
    w.sum().backward();
    expect(() => opt.step()).toThrow(/^Adam: lr must be/);
  });
});
