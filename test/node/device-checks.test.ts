// Labels and indices that exist only on the device (made by an op, as every batch from
// cr.data.batches is): the kernels that read them record an invalid one in an error slot, and the
// next readback throws the CPU reference's OpError. Driven by the registry: every op that declares
// `validates`, forward and each VJP.
import * as cr from 'chainrule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, applyVjp as vjpOf, fromValues } from '../../src/tensor.ts';
import { registry } from '../../src/ops/registry.ts';
import type { AnyOpSpec, Arg } from '../../src/ops/spec.ts';
import { randomInputs, toFloat32 } from '../helpers.ts';

const checked = registry.filter((s) => s.validates);

/** The op's first test case with its int input made invalid at one position (the last one its check rejects). */
function badInputs(spec: AnyOpSpec): { args: Arg[]; attrs: unknown } {
  const c = spec.test.cases.find((c) => c.shapes[spec.validates!.input].length > 0 && c.shapes[spec.validates!.input][0] > 1)!;
  const args = toFloat32(randomInputs(spec, c, 1));
  const k = spec.validates!.input;
  const values = args[k].data as Int32Array;
  for (let i = values.length - 1; i >= 0; i--) {
    const copy = values.slice();
    copy[i] = 1_000_003;
    try {
      spec.validates!.check(copy, args, c.attrs);
    } catch {
      args[k] = { ...args[k], data: copy };
      return { args, attrs: c.attrs ?? {} };
    }
  }
  throw new Error(`${spec.name}: no position where a bad value is rejected`);
}

/** The op's output, and each VJP, on the current device, with the int input made by an op (no host copy). */
function outputs(spec: AnyOpSpec, args: Arg[], attrs: unknown): cr.Tensor[] {
  const x = args.map((a, k) => {
    const t = fromValues(a.data, a.shape, spec.inputs[k].differentiable && a.dtype !== 'int32');
    return a.dtype === 'int32' ? t.gather(Int32Array.from({ length: a.shape[0] }, (_, i) => i)) : t;
  });
  const y = apply(spec, x, attrs);
  const vjps = spec.inputs.flatMap((input, wrt) => (input.differentiable && spec.vjp ? [vjpOf(y, wrt, cr.ones(y.shape).mul(0.5))] : []));
  return [y, ...vjps];
}

async function messageOf(t: cr.Tensor): Promise<string> {
  try {
    await t.data();
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
  return 'no error';
}

describe('kernels that read labels or indices report invalid ones', () => {
  beforeAll(async () => {
    await cr.init({ device: 'webgpu' });
  });
  afterAll(() => cr.dispose());

  it('covers every op that validates its labels or indices', () => {
    expect(checked.map((s) => s.name).sort()).toEqual(['accuracy', 'gather', 'one_hot', 'softmax_cross_entropy', 'svm_loss']);
  });

  for (const spec of checked) {
    it(`${spec.name}: forward and VJP throw the CPU reference's OpError at the next read, and valid values cost no readback of their own`, async () => {
      const { args, attrs } = badInputs(spec);
      await cr.init({ device: 'cpu' });
      const want = await Promise.all(outputs(spec, args, attrs).map(messageOf));
      expect(want[0]).toMatch(new RegExp(`^${spec.name}: (label|index) 1000003 at (index|position) \\d+ is out of range`));
      await cr.init({ device: 'webgpu' });
      for (const [k, t] of outputs(spec, args, attrs).entries()) {
        cr.realize([t]);
        await cr.sync().catch(() => undefined); // sync() may find it first: then the read below must not throw again
        const message = await messageOf(outputs(spec, args, attrs)[k]);
        expect(message, k === 0 ? 'forward' : `vjp ${k}`).toBe(want[k]);
      }
      const valid = args.map((a, i) => (i === spec.validates!.input ? { ...a, data: (a.data as Int32Array).map(() => 0) } : a));
      for (const t of outputs(spec, valid, attrs)) {
        cr.realize([t]);
        cr.resetStats();
        await t.data();
        expect(cr.stats().readbacks, 'one readback: the value and the error slots together').toBe(1);
      }
    });
  }

  it('a training loop over on-device batches with one bad label stops at the next read, naming the label; the next steps run', async () => {
    const x = cr.randn([8, 4], { seed: 1 });
    const y = cr.tensor([0, 1, 2, 0, 1, 2, 9, 1], { dtype: 'int32' }); // 9 is out of range for 3 classes
    const model = new cr.nn.MLP([4, 8, 3], { seed: 0 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 0.1 });
    const mean = new cr.nn.RunningMean();
    for (const batch of cr.data.batches(x, y, { batchSize: 4, shuffle: false })) {
      const loss = cr.nn.softmaxCrossEntropy(model.forward(batch.x), batch.y);
      opt.zeroGrad();
      loss.backward();
      mean.add(loss);
      opt.step();
    }
    await expect(mean.read()).rejects.toThrow(/^softmax_cross_entropy: label 9 at index 2 is out of range for 3 classes/);
    // The bad row was left out of its step, so the parameters are still finite and training goes on.
    for (const p of model.parameters()) expect((await p.data()).every(Number.isFinite)).toBe(true);
    const good = cr.tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
    for (const batch of cr.data.batches(x, good, { batchSize: 4 })) {
      const loss = cr.nn.softmaxCrossEntropy(model.forward(batch.x), batch.y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      expect(Number.isFinite(await loss.item())).toBe(true);
    }
  });

  it('more checked dispatches than error slots: the full window is read without waiting, and its error still surfaces', async () => {
    const bad = cr.tensor([0, 7], { dtype: 'int32' }).gather([0, 1]);
    const logits = cr.zeros([2, 3]);
    cr.realize([cr.softmaxCrossEntropy(logits, bad)]);
    const good = cr.tensor([0, 1], { dtype: 'int32' }).gather([0, 1]);
    for (let i = 0; i < 1100; i++) cr.realize([cr.softmaxCrossEntropy(logits, good)]); // > 1024 slots
    await expect(cr.sync()).rejects.toThrow(/^softmax_cross_entropy: label 7 at index 1 is out of range for 3 classes/);
    await expect(cr.sync()).resolves.toBeUndefined();
  });
});
