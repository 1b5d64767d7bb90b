import { describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

describe('tensor creation and reading', () => {
  it('nested arrays, flat data with a shape, typed arrays, scalars', async () => {
    const a = cr.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(a.shape).toEqual([2, 2]);
    expect(a.dtype).toBe('float32');
    expect(await a.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const b = cr.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(await b.array()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const c = cr.tensor(Float32Array.of(1, 2, 3), [3, 1]);
    expect(c.shape).toEqual([3, 1]);
    expect(cr.tensor(Int32Array.of(1, 2)).dtype).toBe('int32');
    expect(cr.tensor(Float64Array.of(0.1)).dtype).toBe('float64');
    const s = cr.tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(3.5);
    expect(await s.array()).toBe(3.5);
    expect(cr.tensor([]).shape).toEqual([0]);
    expect(await cr.tensor([[], []]).array()).toEqual([[], []]);
  });

  it('int32 labels', async () => {
    const l = cr.tensor([0, 2, 1], { dtype: 'int32' });
    expect(l.dtype).toBe('int32');
    expect(await l.data()).toEqual(Int32Array.of(0, 2, 1));
  });

  it('zeros, ones, full', async () => {
    expect(await cr.zeros([2, 2]).array()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(await cr.ones([3]).array()).toEqual([1, 1, 1]);
    expect(await cr.full([2], 7, { dtype: 'int32' }).data()).toEqual(Int32Array.of(7, 7));
    expect(cr.zeros([0, 5]).size).toBe(0);
  });

  it('randn and rand are reproducible with a seed and have the right distribution', async () => {
    const a = Array.from(await cr.randn([10000], { seed: 42 }).data());
    const b = Array.from(await cr.randn([10000], { seed: 42 }).data());
    expect(a).toEqual(b);
    expect(Array.from(await cr.randn([5], { seed: 43 }).data())).not.toEqual(a.slice(0, 5));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const u = Array.from(await cr.rand([10000], { seed: 1 }).data());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length - 0.5)).toBeLessThan(0.02);
  });

  it('data() returns a copy: changing it does not change the tensor', async () => {
    const t = cr.tensor([1, 2, 3]);
    const d = await t.data();
    d[0] = 100;
    expect(await t.data()).toEqual(Float32Array.of(1, 2, 3));
  });

  it('numbers in binary ops are constants of the other operand type; float64 stays float64', async () => {
    const x = cr.tensor([0.1], { dtype: 'float64' });
    const y = x.mul(0.1);
    expect(y.dtype).toBe('float64');
    expect((await y.data())[0]).toBe(0.1 * 0.1);
    expect(cr.tensor([1]).add(cr.tensor([1], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('describes itself and where it was made', () => {
    const t = cr.tensor([1, 2], { requiresGrad: true });
    expect(String(t)).toBe('Tensor(float32 [2], requiresGrad)');
    expect(t.origin).toMatch(/tensor\.test\.ts:\d+:\d+$/);
  });

  it('ops are lazy: nothing is computed until a value is read', async () => {
    const x = cr.tensor([1, 2, 3]);
    const y = x.exp().sum();
    expect(y.value.storage).toBeNull();
    expect(await y.item()).toBeCloseTo(Math.E + Math.E ** 2 + Math.E ** 3, 4);
    expect(y.value.storage).not.toBeNull();
  });

  it('every op is a method and a function', async () => {
    const x = cr.tensor([
      [1, -2],
      [3, 4],
    ]);
    expect(await x.relu().array()).toEqual(await cr.relu(x).array());
    expect(await x.transpose().array()).toEqual([
      [1, 3],
      [-2, 4],
    ]);
    expect(await x.reshape([-1]).array()).toEqual([1, -2, 3, 4]);
    expect(await x.max(-1).array()).toEqual([1, 4]);
    expect(await x.mean().item()).toBe(1.5);
    expect(await x.sum(0, true).array()).toEqual([[4, 2]]);
    expect(await x.pow(2).array()).toEqual([
      [1, 4],
      [9, 16],
    ]);
    expect(await x.softmax().sum(1).array()).toEqual([1, 1]);
    expect(await cr.tensor([0, 1], { dtype: 'int32' }).oneHot(2).array()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(await x.l2().item()).toBe(30);
  });
});

describe('autograd', () => {
  it('a tensor used twice by one op gets both contributions', async () => {
    const x = cr.tensor([3, -1], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(await x.grad!.array()).toEqual([6, -2]);
  });

  it('diamond graphs are visited in topological order', async () => {
    const x = cr.tensor([2], [], { requiresGrad: true });
    const a = x.exp();
    const b = a.mul(3);
    const c = a.add(b).mul(a); // c = 4 e^{2x}, dc/dx = 8 e^{2x}
    c.backward();
    expect(await x.grad!.item()).toBeCloseTo(8 * Math.exp(4), 1);
  });

  it('broadcast gradients are summed back to the input shape', async () => {
    const x = cr.ones([4, 3]);
    const b = cr.tensor([1, 2, 3], { requiresGrad: true });
    const c = cr.tensor([[1], [2], [3], [4]], { requiresGrad: true });
    const s = cr.tensor(2, { requiresGrad: true });
    x.add(b).mul(c).mul(s).sum().backward();
    expect(b.grad!.shape).toEqual([3]);
    expect(await b.grad!.array()).toEqual([20, 20, 20]); // sum of c * s over rows
    expect(await c.grad!.array()).toEqual([[18], [18], [18], [18]]); // sum of (1 + b) * s
    expect(await s.grad!.item()).toBe(90);
  });

  it('gradients accumulate across backward calls until zeroGrad', async () => {
    const w = cr.tensor([1, 2], { requiresGrad: true });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(await w.grad!.array()).toEqual([6, 6]);
    w.zeroGrad();
    expect(w.grad).toBeNull();
    w.sum().backward();
    expect(await w.grad!.array()).toEqual([1, 1]);
  });

  it('retainGrad keeps an intermediate gradient; others are not kept', async () => {
    const x = cr.tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2).retainGrad();
    const k = h.exp();
    k.sum().backward();
    expect(h.grad).not.toBeNull();
    expect(k.grad).toBeNull();
    expect(Array.from(await h.grad!.data())).toEqual(Array.from(await k.data()));
  });

  it('noGrad records nothing, detach cuts the graph, requiresGrad only changes on leaves', async () => {
    const w = cr.tensor([1, 2], { requiresGrad: true });
    const y = cr.noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
    const d = w.mul(2).detach();
    expect(d.requiresGrad).toBe(false);
    expect(await d.array()).toEqual([2, 4]);
    expect(() => {
      w.mul(2).requiresGrad = false;
    }).toThrow(/requiresGrad can only be set on leaf tensors/);
    d.requiresGrad = true;
    d.sum().backward();
    expect(await d.grad!.array()).toEqual([1, 1]);
    expect(w.grad).toBeNull();
  });

  it('inputs that do not require grad get none; backward with an explicit seed', async () => {
    const x = cr.tensor([1, 2]);
    const w = cr.tensor([3, 4], { requiresGrad: true });
    x.mul(w).backward(cr.tensor([10, 100]));
    expect(x.grad).toBeNull();
    expect(await w.grad!.array()).toEqual([10, 200]);
  });

  it('deep graphs do not overflow the stack', async () => {
    const x = cr.tensor(1, { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.backward();
    expect(await y.item()).toBe(20001);
    expect(await x.grad!.item()).toBe(1);
  });

  it('a 3-layer MLP gradient gradchecks in float64', async () => {
    const X = cr.randn([5, 6], { seed: 1, dtype: 'float64' });
    const y = cr.tensor([0, 1, 2, 1, 0], { dtype: 'int32' });
    const params = [
      cr.randn([6, 8], { seed: 2, dtype: 'float64' }),
      cr.randn([8], { seed: 3, dtype: 'float64' }),
      cr.randn([8, 7], { seed: 4, dtype: 'float64' }),
      cr.randn([7], { seed: 5, dtype: 'float64' }),
      cr.randn([7, 3], { seed: 6, dtype: 'float64' }),
    ];
    const mlp = (W1: cr.Tensor, b1: cr.Tensor, W2: cr.Tensor, b2: cr.Tensor, W3: cr.Tensor) =>
      cr.softmaxCrossEntropy(X.matmul(W1).add(b1).relu().matmul(W2).add(b2).tanh().matmul(W3), y);
    const errors = await cr.gradcheck(mlp, params);
    errors.forEach((e) => expect(e).toBeLessThan(1e-6));
  });
});

describe('leaves, NaN propagation and exact references', () => {
  it('a gradient made to require grad is a leaf and gets its own gradient', async () => {
    const w = cr.tensor([1, 2], { requiresGrad: true });
    w.mul(w).sum().backward();
    const g = w.grad!; // lazy: 2w
    g.requiresGrad = true;
    g.mul(2).sum().backward();
    expect(await g.grad!.array()).toEqual([2, 2]);
    const n = cr.noGrad(() => w.mul(3)); // lazy result of noGrad: a leaf too
    n.requiresGrad = true;
    n.sum().backward();
    expect(await n.grad!.array()).toEqual([1, 1]);
  });

  it('NaN propagates through relu, maximum and the SVM loss instead of vanishing', async () => {
    expect(Number.isNaN((await cr.tensor([NaN, -1, 2]).relu().data())[0])).toBe(true);
    expect(await cr.svmLoss(cr.tensor([[NaN, 1, 2]]), [0]).item()).toBeNaN();
    expect(await cr.svmLoss(cr.tensor([[0, NaN, 2]]), [0]).item()).toBeNaN();
  });

  it('the matmul reference sums in float64: a long dot product is exact to float32 rounding', async () => {
    const n = 65536;
    const a = cr.tensor(
      Float32Array.from({ length: n }, (_, i) => 1 + (i % 7) * 1e-3),
      [1, n],
    );
    const b = cr.tensor(
      Float32Array.from({ length: n }, (_, i) => 1 - (i % 5) * 1e-3),
      [n, 1],
    );
    const [av, bv] = [await a.data(), await b.data()];
    let exact = 0;
    for (let i = 0; i < n; i++) exact += av[i] * bv[i];
    expect(Math.abs((await a.matmul(b).item()) - exact) / exact).toBeLessThan(1e-7);
  });
});
