import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// The worked examples of the backprop lecture (shared/reference/backprop-lecture.txt), as tests, on
// the CPU reference (gradchecks in float64) and on WebGPU (float32 analytic gradients on the GPU).

const scalar = (v: number, dtype: cr.DType = 'float32') => cr.tensor([v], [], { requiresGrad: true, dtype });

describe.each([
  ['cpu', 'float64', 1e-6],
  ['webgpu', 'float32', 1e-3],
] as const)('lecture on %s', (device, dtype, tol) => {
  beforeAll(async () => {
    await cr.init({ device });
  });
  afterAll(() => cr.dispose());

  it('f(x, y, z) = (x + y) z at (-2, 5, -4): f = -12, grads (-4, -4, 3)', async () => {
    const [x, y, z] = [scalar(-2), scalar(5), scalar(-4)];
    const q = x.add(y).retainGrad(); // q becomes 3
    const f = q.mul(z); // f becomes -12
    f.backward();
    expect(await f.item()).toBe(-12);
    expect(await q.grad!.item()).toBe(-4); // df/dq = z
    expect(await z.grad!.item()).toBe(3); // df/dz = q
    expect(await x.grad!.item()).toBe(-4); // dq/dx = 1, times df/dq: the chain rule
    expect(await y.grad!.item()).toBe(-4);
  });

  it('sigmoid neuron as a circuit of gates: w = [2, -3, -3], x = [-1, -2]', async () => {
    const [w0, w1, w2, x0, x1] = [2, -3, -3, -1, -2].map((v) => scalar(v));
    const dot = w0.mul(x0).add(w1.mul(x1)).add(w2);
    const f = dot.neg().exp().add(1).reciprocal(); // 1 / (1 + e^-dot), the lecture's gates
    f.backward();
    expect(await f.item()).toBeCloseTo(0.7311, 4);
    const grads = await Promise.all([x0, x1, w0, w1, w2].map((t) => t.grad!.item()));
    expect(grads[0]).toBeCloseTo(0.3932, 4); // dx = [w0 ddot, w1 ddot]
    expect(grads[1]).toBeCloseTo(-0.5898, 4);
    expect(grads[2]).toBeCloseTo(-0.1966, 4); // dw = [x0 ddot, x1 ddot, ddot]
    expect(grads[3]).toBeCloseTo(-0.3932, 4);
    expect(grads[4]).toBeCloseTo(0.1966, 4);
  });

  it('sigmoid neuron vectorised: dot of w with [x, 1], then the sigmoid op with its (1 - f) f local gradient', async () => {
    const w = cr.tensor([2, -3, -3], { requiresGrad: true });
    const x = cr.tensor([-1, -2, 1], { requiresGrad: true }); // the bias input is a constant 1
    const f = w.mul(x).sum().sigmoid();
    f.backward();
    expect(await f.item()).toBeCloseTo(0.7311, 4);
    const dx = Array.from(await x.grad!.data());
    const dw = Array.from(await w.grad!.data());
    [0.3932, -0.5898].forEach((v, i) => expect(dx[i]).toBeCloseTo(v, 4));
    [-0.1966, -0.3932, 0.1966].forEach((v, i) => expect(dw[i]).toBeCloseTo(v, 4));
  });

  it('gradients add at branches: f = x * x + x gives df/dx = 2x + 1', async () => {
    const x = scalar(3);
    x.mul(x).add(x).backward();
    expect(await x.grad!.item()).toBe(7);
  });

  it('patterns in backward flow: add distributes, max routes, mul switches', async () => {
    const [x, y, z, w] = [scalar(3), scalar(-4), scalar(2), scalar(-1)];
    const f = x.mul(y).add(z.maximum(w)).mul(2);
    f.backward();
    expect(await x.grad!.item()).toBe(-8); // mul switches: 2 * y
    expect(await y.grad!.item()).toBe(6); // 2 * x
    expect(await z.grad!.item()).toBe(2); // max routes to the larger input
    expect(await w.grad!.item()).toBe(0);
  });

  // The assignment slide: "stage your forward/backward computation" for the SVM.
  function stagedSvm(W: cr.Tensor, X: cr.Tensor, y: cr.Tensor, reg: number): cr.Tensor {
    const classes = W.shape[1];
    const onehot = y.oneHot(classes);
    const scores = X.matmul(W); // [N, C]
    const correct = scores.mul(onehot).sum(1, true); // s_{y_i}, [N, 1]
    const margins = scores.sub(correct).add(1).relu().mul(onehot.neg().add(1)); // max(0, s_j - s_y + 1), j != y_i
    const dataLoss = margins.sum().div(X.shape[0]);
    const regLoss = W.l2().mul(reg);
    return dataLoss.add(regLoss);
  }

  it('staged SVM loss (scores, margins, data loss + L2) gradchecks', async () => {
    const X = cr.randn([6, 4], { seed: 11, dtype });
    const y = cr.tensor([0, 2, 1, 2, 0, 1], { dtype: 'int32' });
    const W = cr.randn([4, 3], { seed: 12, dtype });
    const errors = await cr.gradcheck((W) => stagedSvm(W, X, y, 0.1), [W]);
    expect(errors[0]).toBeLessThan(tol);
  });

  it('staged SVM equals the fused svmLoss + L2 in value and gradient', async () => {
    const X = cr.randn([8, 5], { seed: 21 });
    const y = cr.tensor([0, 1, 2, 3, 0, 1, 2, 3], { dtype: 'int32' });
    const W1 = cr.randn([5, 4], { seed: 22, requiresGrad: true });
    const W2 = cr.randn([5, 4], { seed: 22, requiresGrad: true });
    const staged = stagedSvm(W1, X, y, 0.5);
    const fused = cr.svmLoss(X.matmul(W2), y).add(W2.l2().mul(0.5));
    staged.backward();
    fused.backward();
    expect(await fused.item()).toBeCloseTo(await staged.item(), 5);
    const [g1, g2] = [await W1.grad!.data(), await W2.grad!.data()];
    g1.forEach((v, i) => expect(g2[i]).toBeCloseTo(v, 5));
  });

  it('softmax classifier: fused cross-entropy equals -mean log softmax at the label, and gradchecks', async () => {
    const X = cr.randn([5, 4], { seed: 31, dtype });
    const y = cr.tensor([1, 0, 2, 2, 1], { dtype: 'int32' });
    const W = cr.randn([4, 3], { seed: 32, dtype });
    const staged = (W: cr.Tensor) => X.matmul(W).logSoftmax(1).mul(y.oneHot(3)).sum().div(-5);
    const fused = (W: cr.Tensor) => cr.softmaxCrossEntropy(X.matmul(W), y);
    expect(await fused(W).item()).toBeCloseTo(await staged(W).item(), dtype === 'float64' ? 12 : 5);
    expect((await cr.gradcheck(fused, [W]))[0]).toBeLessThan(tol);
    expect((await cr.gradcheck(staged, [W]))[0]).toBeLessThan(tol);
  });
});
