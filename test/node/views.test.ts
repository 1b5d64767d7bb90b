import { afterAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// Views (spec.identity): kernels that only copy (reshape, add's gradients, sub's first) share their
// input's storage instead of running. Values stay as eager code would see them, on both devices;
// cr.init({ fuse: false }) runs the kernels instead, with the same results.

afterAll(() => cr.dispose());

describe.each(['cpu', 'webgpu'] as const)('views on %s', (device) => {
  it('a reshape of a parameter keeps its values when an optimizer step rewrites the parameter', async () => {
    await cr.init({ device });
    const w = cr.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const flat = w.reshape([4]);
    const opt = new cr.optim.SGD([w], { lr: 1 });
    cr.sum(w.mul(w)).backward(); // dw = 2w
    flat.realize();
    opt.step(); // w <- w - 2w = -w, in place: the view was copied from first
    expect(Array.from(await flat.data())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await w.data())).toEqual([-1, -2, -3, -4]);
  });

  it('a view outlives the tensor it was made from', async () => {
    await cr.init({ device });
    const x = cr.tensor([5, 6, 7, 8, 9, 10], [2, 3]);
    const y = x.reshape([3, 2]).realize();
    x.dispose();
    expect(Array.from(await y.data())).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it("add's gradients are dy itself, and a broadcast one is summed", async () => {
    await cr.init({ device });
    const a = cr.tensor([1, 2, 3, 4, 5, 6], [2, 3], { requiresGrad: true });
    const b = cr.tensor([10, 20, 30], [3], { requiresGrad: true });
    const c = cr.tensor([[1], [2]], undefined, { requiresGrad: true });
    const dy = cr.tensor([1, -1, 2, -2, 3, -3], [2, 3]);
    a.add(b).sub(c).backward(dy);
    expect(Array.from(await a.grad!.data())).toEqual([1, -1, 2, -2, 3, -3]);
    expect(Array.from(await b.grad!.data())).toEqual([-1, 2, -1]);
    expect(Array.from(await c.grad!.data())).toEqual([-2, 2]); // -(1 - 1 + 2), -(-2 + 3 - 3)
  });

  it('fuse: false computes the same step with more kernels', async () => {
    const run = async (fuse: boolean) => {
      await cr.init({ device, fuse });
      expect(cr.deviceInfo().fuse).toBe(fuse);
      const model = new cr.nn.MLP([6, 8, 3], { seed: 1 });
      const opt = new cr.optim.SGD(model.parameters(), { lr: 0.5 });
      const x = cr.randn([5, 6], { seed: 2 });
      const labels = cr.tensor(Int32Array.of(0, 1, 2, 1, 0));
      const losses: number[] = [];
      cr.resetStats();
      for (let i = 0; i < 3; i++) {
        const loss = cr.softmaxCrossEntropy(model.forward(x), labels);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        losses.push(await loss.item());
      }
      return { losses, dispatches: cr.stats().dispatches };
    };
    const fused = await run(true);
    const unfused = await run(false);
    expect(fused.losses).toEqual(unfused.losses);
    if (device === 'webgpu') expect(fused.dispatches).toBeLessThan(unfused.dispatches);
  });
});
