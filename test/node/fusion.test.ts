import { afterAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// Fusion (src/fusion.ts, src/backend/webgpu/fused.ts): a plan's elementwise chains, matmul
// epilogues, a loss with its gradient and the optimizer's updates run as few generated kernels.
// Values and gradients must be those of the unfused CPU reference; cr.init({ fuse: false }) runs
// every node's own kernel.

afterAll(() => cr.dispose());

/** A seeded generator of numbers in [0, 1) (mulberry32): the same graph on every device. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random graph of seed `seed`: chains of unary and binary ops, broadcasts (rows, scalars, and
 * columns, which fusion leaves to the ops' own kernels), fan-out (values reused), reductions
 * (a mean over rows broadcast back), matmuls followed by elementwise ops (epilogues), and a
 * softmax cross-entropy loss now and then. Returns the loss, the leaves, and a few intermediates.
 */
function randomGraph(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const size = () => 1 + Math.floor(r() * 9);
  const leaves: cr.Tensor[] = [];
  const leaf = (shape: number[]) => {
    const t = cr.randn(shape, { seed: Math.floor(r() * 1e6), requiresGrad: true });
    leaves.push(t);
    return t;
  };
  const rows = size();
  let cols = size();
  let pool: cr.Tensor[] = [leaf([rows, cols])];
  const kept: cr.Tensor[] = [];
  const operand = () => pick([() => pick(pool), () => leaf([rows, cols]), () => leaf([cols]), () => leaf([]), () => leaf([rows, 1])])();
  const steps = 4 + Math.floor(r() * 10);
  for (let s = 0; s < steps; s++) {
    const x = pick(pool);
    let y: cr.Tensor;
    switch (pick(['unary', 'unary', 'binary', 'binary', 'div', 'matmul', 'reduce', 'keep'] as const)) {
      case 'unary':
        y = pick<(t: cr.Tensor) => cr.Tensor>([
          (t) => t.relu(),
          (t) => t.tanh(),
          (t) => t.sigmoid(),
          (t) => t.neg(),
          (t) => t.square(),
          (t) => t.abs(),
          (t) => t.tanh().exp(),
        ])(x);
        break;
      case 'binary':
        y = pick<(a: cr.Tensor, b: cr.Tensor) => cr.Tensor>([
          (a, b) => a.add(b),
          (a, b) => a.sub(b),
          (a, b) => a.mul(b),
          (a, b) => cr.maximum(a, b),
          (a, b) => cr.minimum(a, b),
        ])(x, operand());
        break;
      case 'div':
        y = x.div(operand().sigmoid().add(0.5)); // a divisor in (0.5, 1.5)
        break;
      case 'matmul': {
        const next = size();
        y = x.matmul(leaf([cols, next]));
        cols = next;
        pool = [];
        break;
      }
      case 'reduce':
        y = x.mul(cr.mean(x, 0)); // a row broadcast back: fan-out through a reduction
        break;
      case 'keep':
        kept.push(x); // read after the step: written by its fused kernel
        continue;
    }
    pool.push(y);
  }
  const last = pool.length > 0 ? pool : [leaf([rows, cols])];
  let loss = cr.sum(last.reduce((a, b) => a.add(b)).mul(leaf([rows, cols])));
  if (r() < 0.5) {
    const labels = cr.tensor(Int32Array.from({ length: rows }, () => Math.floor(r() * cols)));
    loss = loss.mul(0.01).add(cr.softmaxCrossEntropy(last[last.length - 1], labels));
  }
  return { loss, leaves, kept };
}

/** The loss, every leaf's gradient and the kept intermediates of a graph on the current device. */
async function valuesOf(seed: number): Promise<number[][]> {
  const { loss, leaves, kept } = randomGraph(seed);
  loss.backward();
  const grads = leaves.map((l) => l.grad).filter((g): g is cr.Tensor => g !== null); // leaves off the loss's path have none
  cr.realize([loss, ...kept, ...grads]); // one plan
  return Promise.all([loss, ...kept, ...grads].map(async (t) => Array.from(await t.data())));
}

function maxRelError(a: readonly number[][], b: readonly number[][]): number {
  let worst = 0;
  a.forEach((xs, i) => xs.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - b[i][k]) / Math.max(1, Math.abs(b[i][k]))))));
  return worst;
}

/** One SGD step loop of an MLP: losses, and the device's counters for one warm step. */
async function train(device: 'cpu' | 'webgpu', fuse: boolean, sizes: number[], batch: number) {
  await cr.init({ device, fuse });
  const model = new cr.nn.MLP(sizes, { seed: 3 });
  const opt = new cr.optim.SGD(model.parameters(), { lr: 0.1 });
  const x = cr.randn([batch, sizes[0]], { seed: 1 }).realize();
  const labels = cr.tensor(Int32Array.from({ length: batch }, (_, i) => i % sizes[sizes.length - 1]));
  const losses: number[] = [];
  let stats = cr.stats();
  for (let i = 0; i < 6; i++) {
    if (i === 5) {
      await cr.sync();
      cr.resetStats();
    }
    const loss = cr.softmaxCrossEntropy(model.forward(x), labels);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (i === 5) {
      await cr.sync();
      stats = cr.stats();
    }
    losses.push(await loss.item());
  }
  return { losses, stats };
}

describe('fused training steps on webgpu', () => {
  it.each([
    ['784-256-10 MLP, batch 128', [784, 256, 10], 128],
    ['2-100-3 spiral MLP, batch 300', [2, 100, 3], 300],
  ] as const)('%s: at most 9 dispatches and 1 submit, the loss trajectory of the unfused CPU reference, fewer bytes', async (_name, sizes, batch) => {
    const cpu = await train('cpu', false, [...sizes], batch);
    const unfused = await train('webgpu', false, [...sizes], batch);
    const fused = await train('webgpu', true, [...sizes], batch);
    for (const run of [unfused, fused]) run.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i])).toBeLessThan(1e-4 * Math.max(1, cpu.losses[i])));
    expect(fused.stats.dispatches).toBeLessThanOrEqual(9);
    expect(fused.stats.submits).toBe(1);
    expect(unfused.stats.dispatches).toBeGreaterThan(20);
    expect(fused.stats.kernelBytesRead).toBeLessThan(unfused.stats.kernelBytesRead);
    expect(fused.stats.kernelBytesWritten).toBeLessThan(unfused.stats.kernelBytesWritten);
  });
});

describe('fusion against the unfused CPU reference', () => {
  it('40 random graphs (chains, broadcasts, fan-out, reductions, matmul epilogues, losses): the same loss, gradients and kept values', async () => {
    const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
    await cr.init({ device: 'cpu' });
    const want = [];
    for (const seed of seeds) want.push(await valuesOf(seed));
    await cr.init({ device: 'webgpu' });
    for (const [k, seed] of seeds.entries()) {
      const got = await valuesOf(seed);
      expect(maxRelError(got, want[k]), `graph ${seed}`).toBeLessThan(2e-3);
    }
    // The graphs did fuse: elementwise chains, and matmuls with their epilogues.
    const kernels = cr.fusedKernels().map((f) => f.ops);
    expect(kernels.some((ops) => ops[0] === 'matmul' && ops.length > 1)).toBe(true);
    expect(kernels.some((ops) => ops[0] !== 'matmul' && ops.length > 2)).toBe(true);
  });
});

describe('what users see of fusion', () => {
  it('cr.fusedKernels() lists each generated kernel with its ops and WGSL; the profiler names them', async () => {
    await cr.init({ device: 'webgpu' });
    const x = cr.randn([8, 5], { seed: 1 });
    const w = cr.randn([5, 4], { seed: 2, requiresGrad: true });
    const b = cr.randn([4], { seed: 3, requiresGrad: true });
    const step = () => {
      const loss = cr.sum(x.matmul(w).add(b).relu());
      loss.backward();
      cr.realize([loss, w.grad!, b.grad!]);
    };
    const profile = await cr.profile(step, { steps: 2, warmup: 1 });
    // The forward and ReLU's gradient, which reads the same pre-activation: one kernel (a VJP is marked ').
    const names = profile.kernels.map((k) => k.kernel);
    expect(names).toContain("fused:matmul+add+relu'+relu");
    const fused = cr.fusedKernels().find((k) => k.kernel === "fused:matmul+add+relu'+relu")!;
    expect(fused.ops).toEqual(['matmul', 'add', "relu'", 'relu']);
    expect(fused.wgsl).toMatch(/fn emit\(O: ptr<storage, array<f32>, read_write>, i: u32, acc: f32\)/);
    expect(fused.wgsl).toContain('relu_f(');
  });

  it('elementwise ops that feed a sum or mean run inside it, as it loads each element (one kernel)', async () => {
    const mse = () =>
      cr.mean(
        cr
          .randn([33, 17], { seed: 4 })
          .sub(cr.randn([33, 17], { seed: 5 }))
          .square(),
      ); // seeded: the same values on each device
    await cr.init({ device: 'cpu' });
    const want = await mse().item();
    await cr.init({ device: 'webgpu' });
    const got = mse();
    await cr.sync();
    cr.resetStats();
    got.realize();
    await cr.sync();
    expect(cr.stats().dispatches).toBe(1);
    expect(cr.fusedKernels().map((k) => k.kernel)).toContain('fused:sub+square+mean');
    expect(Math.abs((await got.item()) - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
  });

  it('a value a later step reads is written once; an optimizer step still cannot change what was recorded before it', async () => {
    await cr.init({ device: 'webgpu' });
    const w = cr.tensor([1, -2, 3], [3], { requiresGrad: true });
    const opt = new cr.optim.SGD([w], { lr: 1 });
    const before = w.mul(2).relu().add(1); // one fused kernel, reading w before the step
    cr.sum(w.square()).backward(); // dw = 2w
    opt.step(); // w <- -w, in place; `before` is computed first
    expect(Array.from(await before.data())).toEqual([3, 1, 7]);
    expect(Array.from(await w.data())).toEqual([-1, 2, -3]);
    expect(Array.from(await w.mul(2).relu().add(1).data())).toEqual([1, 5, 1]);
  });

  it('the loss and its gradient are one kernel, and an invalid label inside it is still an OpError naming the op', async () => {
    await cr.init({ device: 'webgpu' });
    const logits = cr.randn([4, 3], { seed: 1, requiresGrad: true });
    // Labels made on the device (argmax), so only the kernel can check them.
    const onDevice = (labels: number[], classes: number) =>
      cr.argmax(
        cr.tensor(
          labels.flatMap((l) => Array.from({ length: classes }, (_, j) => (j === l ? 1 : 0))),
          [labels.length, classes],
        ),
        1,
      );
    const labels = onDevice([0, 1, 2, 1], 3).realize();
    await cr.sync();
    cr.resetStats();
    const loss = cr.softmaxCrossEntropy(logits, labels);
    loss.backward();
    cr.realize([loss, logits.grad!]);
    await cr.sync();
    expect(cr.stats().dispatches).toBe(1);
    const l2 = cr.softmaxCrossEntropy(logits, onDevice([0, 1, 7, 1], 8));
    l2.backward();
    await expect(l2.data()).rejects.toThrow(/^softmax_cross_entropy: .*7/);
  });

  it('checkNumerics names the op inside a fused kernel that made the first NaN', async () => {
    await cr.init({ device: 'webgpu', checkNumerics: true });
    const x = cr.tensor([1, -2, 3]);
    const y = x.mul(2).log().add(1); // log(-4) = NaN, inside one fused kernel
    await expect(y.data()).rejects.toThrow(/checkNumerics: log forward made 1 non-finite value/);
    await cr.init({ device: 'webgpu' });
  });
});
