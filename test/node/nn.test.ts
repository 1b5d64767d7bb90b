import { afterAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// cr.nn and cr.data.batches: layers, names and layouts (PyTorch's), losses with L2, on-device
// metrics, minibatches gathered on the device; on the CPU reference and on WebGPU.

afterAll(() => cr.dispose());

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(b[i])));
};

describe.each(['cpu', 'webgpu'] as const)('nn on %s', (device) => {
  const init = () => cr.init({ device, quiet: true });

  it('Linear: He and Xavier initial weights with the right spread, zero bias, seeded', async () => {
    await init();
    const he = new cr.nn.Linear(400, 300, { seed: 1 });
    const std = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0) / v.length);
    expect(std(await he.weight.data())).toBeCloseTo(Math.sqrt(2 / 400), 3);
    const xavier = new cr.nn.Linear(400, 300, { seed: 1, init: 'xavier' });
    expect(std(await xavier.weight.data())).toBeCloseTo(Math.sqrt(2 / 700), 3);
    expect(Array.from(await he.bias!.data()).every((b) => b === 0)).toBe(true);
    expect(await new cr.nn.Linear(400, 300, { seed: 1 }).weight.data()).toEqual(await he.weight.data());
    expect(new cr.nn.Linear(3, 2, { bias: false }).parameters()).toHaveLength(1);
  });

  it('Linear computes x W + b and checks its input', async () => {
    await init();
    const layer = new cr.nn.Linear(2, 3, { seed: 0 });
    const x = cr.tensor([[1, 2]]);
    const [w, b] = [await layer.weight.array(), [0, 0, 0]] as [number[][], number[]];
    const want = [0, 1, 2].map((j) => 1 * w[0][j] + 2 * w[1][j] + b[j]);
    close((await layer.forward(x).data()) as Float32Array, want);
    expect(() => layer.forward(cr.tensor([[1, 2, 3]]))).toThrow(/^Linear: input \[1,3\] must end in 2 features/);
    expect(() => new cr.nn.Linear(0, 3)).toThrow(/^Linear: in features must be a positive integer, got 0/);
    expect(() => new cr.nn.Linear(2, 3, { init: 'lecun' as never })).toThrow(/init must be 'he' or 'xavier'/);
  });

  it('MLP has torch.nn.Sequential names, and its state dict holds weights as [out, in]', async () => {
    await init();
    const model = new cr.nn.MLP([4, 5, 3], { seed: 2 });
    expect(model.namedParameters().map(([n, p]) => `${n} ${p.shapeString}`)).toEqual(['0.weight [4,5]', '0.bias [5]', '2.weight [5,3]', '2.bias [3]']);
    expect(model.weights()).toEqual([model.namedParameters()[0][1], model.namedParameters()[2][1]]);
    const state = model.stateDict();
    expect(Object.entries(state).map(([n, t]) => `${n} ${t.shapeString}`)).toEqual(['0.weight [5,4]', '0.bias [5]', '2.weight [3,5]', '2.bias [3]']);
    expect(() => new cr.nn.MLP([4])).toThrow(/^MLP: sizes must list at least/);
  });

  it("the CNN's layers have torch.nn's names and layouts (Conv2d weight [out, in / groups, kh, kw]) and classify rows of 784 pixels", async () => {
    await init();
    const model = cr.nn.cnn({ seed: 1 });
    expect(Object.entries(model.stateDict()).map(([n, t]) => `${n} ${t.shapeString}`)).toEqual([
      '1.weight [8,1,5,5]',
      '1.bias [8]',
      '4.weight [16,8,5,5]',
      '4.bias [16]',
      '8.weight [128,256]',
      '8.bias [128]',
      '10.weight [10,128]',
      '10.bias [10]',
    ]);
    const scores = model.forward(cr.rand([3, 784], { seed: 2 }));
    expect(scores.shape).toEqual([3, 10]);
    expect((await scores.data()).every(Number.isFinite)).toBe(true);
    // A round trip through safetensors into a differently seeded model gives the same scores.
    const other = cr.nn.cnn({ seed: 9 });
    other.loadStateDict(cr.io.loadSafetensors(await cr.io.saveSafetensors(model.stateDict())));
    const x = cr.rand([2, 784], { seed: 3 });
    close(await other.forward(x).data(), await model.forward(x).data());
    const conv = new cr.nn.Conv2d(4, 6, [3, 1], { groups: 2, bias: false, seed: 0 });
    expect(conv.namedParameters().map(([n, p]) => `${n} ${p.shapeString}`)).toEqual(['weight [6,2,3,1]']);
    expect(conv.forward(cr.randn([1, 4, 5, 5], { seed: 1 })).shape).toEqual([1, 6, 3, 5]);
    expect(() => new cr.nn.Conv2d(4, 6, 3, { groups: 4 })).toThrow(/^Conv2d: groups 4 must divide inChannels 4 and outChannels 6/);
    expect(() => new cr.nn.Unflatten(1, [2, 2]).forward(cr.zeros([3, 5]))).toThrow(/^Unflatten: sizes \[2,2\] hold 4 values, axis 1 of \[3,5\] has 5/);
    expect(new cr.nn.AvgPool2d(2).forward(cr.ones([1, 1, 4, 4])).shape).toEqual([1, 1, 2, 2]);
  });

  it('a model survives a safetensors round trip into a fresh model (in place: the optimizer keeps working)', async () => {
    await init();
    const a = new cr.nn.MLP([4, 6, 3], { seed: 3 });
    const b = new cr.nn.MLP([4, 6, 3], { seed: 99 });
    const opt = new cr.optim.SGD(b.parameters(), { lr: 0.1 });
    const x = cr.randn([2, 4], { seed: 4 });
    const bytes = await cr.io.saveSafetensors(a.stateDict());
    b.loadStateDict(cr.io.loadSafetensors(bytes));
    close(await b.forward(x).data(), await a.forward(x).data());
    expect(opt.params).toEqual(b.parameters());
    const bad = cr.io.loadSafetensors(bytes);
    delete bad['2.bias'];
    expect(() => b.loadStateDict(bad)).toThrow(/^loadStateDict: missing key "2.bias" \(\[3\]\)/);
    expect(() => b.loadStateDict({ ...cr.io.loadSafetensors(bytes), extra: cr.tensor([1]) })).toThrow(/^loadStateDict: unexpected key "extra"/);
    expect(() => b.loadStateDict({ ...cr.io.loadSafetensors(bytes), '0.bias': cr.zeros([7]) })).toThrow(
      /^loadStateDict: "0.bias" has shape \[7\], the model needs \[6\]/,
    );
  });

  it('losses add reg * sum of squared weights, as in the lecture', async () => {
    await init();
    const model = new cr.nn.MLP([2, 3], { seed: 5 });
    const x = cr.tensor([
      [1, -1],
      [0.5, 2],
    ]);
    const y = cr.tensor([0, 2], { dtype: 'int32' });
    const scores = model.forward(x);
    const w = await model.weights()[0].data();
    const penalty = 0.1 * Array.from(w).reduce((s, v) => s + v * v, 0);
    const plain = await cr.softmaxCrossEntropy(scores, y).item();
    expect(await cr.nn.softmaxCrossEntropy(scores, y, { reg: 0.1, weights: model.weights() }).item()).toBeCloseTo(plain + penalty, 5);
    expect(await cr.nn.svmLoss(scores, y, { reg: 0.1, weights: model.weights() }).item()).toBeCloseTo((await cr.svmLoss(scores, y).item()) + penalty, 5);
    expect(() => cr.nn.softmaxCrossEntropy(scores, y, { reg: 0.1 })).toThrow(/^softmaxCrossEntropy: reg 0.1 needs the weights/);
    expect(() => cr.nn.svmLoss(scores, y, { reg: -1, weights: [] })).toThrow(/^svmLoss: reg must be a finite number >= 0, got -1/);
  });

  it('RunningMean accumulates on the device and reads back once', async () => {
    await init();
    const m = new cr.nn.RunningMean();
    expect(Number.isNaN(await m.read())).toBe(true);
    m.add(cr.tensor(1));
    m.add(cr.tensor([4]), 2);
    cr.resetStats();
    expect(await m.read()).toBeCloseTo(3, 6); // (1 + 2 * 4) / 3
    expect(cr.stats().readbacks).toBe(device === 'webgpu' ? 1 : 0);
    expect(m.count).toBe(3);
    expect(await m.readAndReset()).toBeCloseTo(3, 6);
    expect(m.count).toBe(0);
    expect(() => m.add(cr.tensor([1, 2]))).toThrow(/^RunningMean: add\(\) takes a one-element tensor/);
  });

  it('batches: every row once per epoch, a new seeded order each epoch, labels gathered with their rows', async () => {
    await init();
    const n = 10;
    const X = cr.tensor(
      Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2)),
      [n, 2],
    );
    const Y = cr.tensor(Int32Array.from({ length: n }, (_, i) => i));
    const loader = cr.data.batches(X, Y, { batchSize: 4, seed: 7 });
    expect(loader.length).toBe(3);
    const epoch = async () => {
      const rows: number[] = [];
      for (const { x, y } of loader) {
        const [xs, ys] = [await x.data(), await y.data()];
        expect(y.dtype).toBe('int32');
        ys.forEach((label, i) => expect(xs[2 * i]).toBe(label)); // x row r holds r, y row r holds r
        rows.push(...ys);
      }
      return rows;
    };
    const [first, second] = [await epoch(), await epoch()];
    expect([...first].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
    expect(first).not.toEqual(second);
    expect(first).toEqual(
      await (async () => {
        const again = cr.data.batches(X, Y, { batchSize: 4, seed: 7 });
        const rows: number[] = [];
        for (const { y } of again) rows.push(...(await y.data()));
        return rows;
      })(),
    );
    const ordered = cr.data.batches(X, Y, { batchSize: 4, shuffle: false, dropLast: true });
    expect(ordered.length).toBe(2);
    const ys: number[] = [];
    for (const { y } of ordered) ys.push(...(await y.data()));
    expect(ys).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => cr.data.batches(X, cr.tensor([1, 2], { dtype: 'int32' }), { batchSize: 2 })).toThrow(
      /^batches: x \[10,2\] and y \[2\] must have the same number of rows/,
    );
    expect(() => cr.data.batches(X, Y, { batchSize: 0 })).toThrow(/^batches: batchSize must be a positive integer, got 0/);
  });

  it('a training loop over on-device batches uploads only the epoch order', async () => {
    await init();
    const { x, y } = cr.data.spiral({ points: 50, seed: 1 });
    const model = new cr.nn.MLP([2, 16, 3], { seed: 1 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 0.5 });
    const loader = cr.data.batches(x, y, { batchSize: 30 });
    await cr.nn.fit(model, opt, loader, { epochs: 1 }); // warm: constants, state buffers
    await cr.sync();
    cr.resetStats();
    const result = await cr.nn.fit(model, opt, loader, { epochs: 2, reportEvery: 1000 });
    expect(result.steps).toBe(10);
    if (device === 'webgpu') expect(cr.stats().bytesUploaded).toBe(2 * 150 * 4); // two epochs' orders of 150 int32
  });
});

describe('training the spiral end to end', () => {
  const run = async (device: cr.DeviceName) => {
    await cr.init({ device, quiet: true });
    const { x, y } = cr.data.spiral({ classes: 3, points: 100, seed: 0 });
    const model = new cr.nn.MLP([2, 100, 3], { seed: 0 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 1, momentum: 0.9 });
    const losses: number[] = [];
    const batches = cr.data.batches(x, y, { batchSize: 300 });
    const loss = (s: cr.Tensor, labels: cr.Tensor) => cr.nn.softmaxCrossEntropy(s, labels, { reg: 1e-3, weights: model.weights() });
    // The first 20 steps one report (readback) each, to compare the curves; then 280 more.
    await cr.nn.fit(model, opt, batches, { epochs: 20, reportEvery: 1, loss, onProgress: (p) => void losses.push(p.loss) });
    const result = await cr.nn.fit(model, opt, batches, { epochs: 280, reportEvery: 280, loss });
    return { losses, accuracy: await cr.nn.evaluate(model, x, y), result };
  };

  it('reaches 95% training accuracy with 100 hidden units on the CPU and on WebGPU, with the same loss curve', async () => {
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(cpu.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(gpu.accuracy).toBeGreaterThanOrEqual(0.95);
    close(gpu.losses, cpu.losses, 1e-4); // the first 20 steps
    expect(gpu.result.loss).toBeLessThan(cpu.losses[0]);
  });
});

describe('learning-rate schedules', () => {
  it('cosineLr falls from lr to final along half a cosine; stepLr multiplies by gamma every stepSize steps', () => {
    const cos = cr.optim.cosineLr(0.004, { final: 0.001 });
    expect([0, 50, 100].map((s) => cos(s, 101))).toEqual([0.004, expect.closeTo(0.0025, 12), expect.closeTo(0.001, 12)]);
    expect(cr.optim.cosineLr(1)(1, 3)).toBeCloseTo(0.5, 12);
    const step = cr.optim.stepLr(1, 10, 0.5);
    expect([0, 9, 10, 25].map((s) => step(s, 100))).toEqual([1, 1, 0.5, 0.25]);
  });

  it('fit sets optimizer.lr from the schedule before each step, counting steps over all epochs', async () => {
    await cr.init({ device: 'cpu', quiet: true });
    const model = new cr.nn.MLP([2, 3], { seed: 0 });
    const opt = new cr.optim.SGD(model.parameters(), { lr: 1 });
    const data = cr.data.batches(cr.ones([6, 2]), cr.tensor([0, 1, 2, 0, 1, 2], { dtype: 'int32' }), { batchSize: 2 });
    const seen: [number, number][] = [];
    await cr.nn.fit(model, opt, data, { epochs: 2, lr: (s, total) => (seen.push([s, total]), 0.1 / (s + 1)) });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s, 6]));
    expect(opt.lr).toBeCloseTo(0.1 / 6, 12);
  });
});

describe('training a CNN on MNIST images', () => {
  const run = async (device: cr.DeviceName) => {
    await cr.init({ device, quiet: true });
    const { train } = await cr.data.mnist({ train: 320, test: 1 });
    const model = cr.nn.cnn({ seed: 0 });
    const opt = new cr.optim.Adam(model.parameters(), { lr: 2e-3 });
    const losses: number[] = [];
    const batches = cr.data.batches(train.x, train.y, { batchSize: 32, seed: 0 });
    await cr.nn.fit(model, opt, batches, { epochs: 2, reportEvery: 1, onProgress: (p) => void losses.push(p.loss) });
    return losses;
  };

  it('learns (conv, pool, flatten, linear: 20 Adam steps) with the same loss curve on the CPU and on WebGPU', async () => {
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(cpu).toHaveLength(20);
    close(gpu, cpu, 1e-3);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(cpu.slice(-5))).toBeLessThan(0.6 * mean(cpu.slice(0, 5)));
  });
});
