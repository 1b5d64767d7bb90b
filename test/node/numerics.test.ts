// The numerics guard: with checkNumerics on, the first op whose output (forward or VJP) holds a NaN or
// an infinity throws a NumericsError naming it; fit() stops when the loss turns non-finite.
import * as cr from 'chainrule';
import { afterAll, describe, expect, it } from 'vitest';

describe.each(['cpu', 'webgpu'] as const)('on %s', (device) => {
  afterAll(() => cr.dispose());

  it('names the first op that makes a NaN, forward, with the shapes and the line that made it', async () => {
    await cr.init({ device, checkNumerics: true });
    expect(cr.deviceInfo().checkNumerics).toBe(true);
    const x = cr.tensor([
      [1, -1],
      [4, 9],
    ]);
    const y = x.sqrt().mul(2).sum(); // sqrt(-1) is NaN: sqrt is the first, not mul or sum
    await expect(y.data()).rejects.toThrow(
      /^checkNumerics: sqrt forward made 1 non-finite value in \[2,2\] from \[2,2\]; the first, at element 1, is NaN \(made at \S*numerics\.test\.ts:\d+:\d+\)\n {4}at \S*numerics\.test\.ts/,
    );
  });

  it('names a VJP too, and infinities', async () => {
    await cr.init({ device, checkNumerics: true });
    await expect(cr.tensor([1, 0, 2]).log().data()).rejects.toThrow(
      /^checkNumerics: log forward made 1 non-finite value in \[3\] from \[3\]; the first, at element 1, is -Infinity/,
    );
    const w = cr.tensor([0, 1, 2], { requiresGrad: true });
    w.log().sum().backward(); // log's VJP reads x only: dy / 0 = Infinity, and log(0) itself is never computed
    await expect(w.grad!.data()).rejects.toThrow(
      /^checkNumerics: log backward \(VJP for input 0\) made 1 non-finite value in \[3\] from \[3\], \[3\]; the first, at element 0, is Infinity/,
    );
    const v = cr.tensor([0, 1, 2], { requiresGrad: true });
    v.sqrt().sum().backward(); // forward is finite; the VJP dy / (2 sqrt(0)) is Infinity
    await expect(v.grad!.data()).rejects.toThrow(/^checkNumerics: sqrt backward \(VJP for input 0\) made 1 non-finite value in \[3\]/);
  });

  it('costs nothing when off: the same NaN flows through', async () => {
    await cr.init({ device });
    expect(cr.deviceInfo().checkNumerics).toBe(false);
    const y = await cr.tensor([-1]).sqrt().data();
    expect(Number.isNaN(y[0])).toBe(true);
    await expect(cr.tensor([-1]).sqrt().data({ checkNumerics: true })).rejects.toThrow(/^checkNumerics: sqrt forward/);
  });

  it('divergent training: the guard names the first overflow; fit() stops at a non-finite loss', async () => {
    await cr.init({ device });
    let { x, y } = cr.data.spiral({ classes: 3, points: 30, seed: 0 });
    const model = new cr.nn.MLP([2, 16, 3], { seed: 0 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 1e20, momentum: 0.9 });
    const batches = cr.data.batches(x, y, { batchSize: 30, seed: 0 });
    await expect(cr.nn.fit(model, opt, batches, { epochs: 20, reportEvery: 1 })).rejects.toThrow(
      /^fit: the training loss is (NaN|Infinity) at epoch \d+, step \d+: training diverged; lower the learning rate \(now 100000000000000000000\), or find the first op that makes a NaN with cr\.init\(\{ checkNumerics: true \}\)/,
    );
    await cr.init({ device, checkNumerics: true }); // a new device: the data is made again
    ({ x, y } = cr.data.spiral({ classes: 3, points: 30, seed: 0 }));
    const model2 = new cr.nn.MLP([2, 16, 3], { seed: 0 });
    const opt2 = new cr.optim.SGD(model2.parameters(), { lr: 1e20, momentum: 0.9 });
    await expect(cr.nn.fit(model2, opt2, cr.data.batches(x, y, { batchSize: 30, seed: 0 }), { epochs: 20, reportEvery: 1 })).rejects.toThrow(
      /^checkNumerics: \w+ (forward|backward \(VJP for input \d\)) made \d+ non-finite values? in \[/,
    );
  });
});
