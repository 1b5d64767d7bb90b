import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { compile } from '../../src/backend/webgpu/kernels.ts';
import { currentBackend } from '../../src/device.ts';

// The executor and device on WebGPU (Dawn in Node): one submit per step, no readbacks, buffers
// freed inside a plan, sizes that break naive kernels, limits and errors. Fails without an adapter.

let info: cr.DeviceInfo;
beforeAll(async () => {
  info = await cr.init({ device: 'webgpu' });
});
afterAll(() => cr.dispose());

function mlp(seed = 0) {
  const param = (shape: number[], s: number) => {
    const p = cr
      .randn(shape, { seed: seed + s })
      .mul(0.1)
      .detach();
    p.requiresGrad = true;
    return p;
  };
  return [param([784, 256], 1), param([256], 2), param([256, 10], 3), param([10], 4)];
}

function sgdStep(params: cr.Tensor[], x: cr.Tensor, y: cr.Tensor): { loss: cr.Tensor; next: cr.Tensor[] } {
  const [w1, b1, w2, b2] = params;
  const loss = cr.softmaxCrossEntropy(x.matmul(w1).add(b1).relu().matmul(w2).add(b2), y);
  loss.backward();
  const next = cr.noGrad(() => params.map((p) => p.sub(p.grad!.mul(0.1))));
  cr.realize([loss, ...next]);
  return { loss, next };
}

describe('webgpu executor', () => {
  it('reports the adapter and its limits', () => {
    const d = cr.deviceInfo();
    expect(d.device).toBe('webgpu');
    expect(d.architecture).toBe(info.architecture);
    expect(typeof d.software).toBe('boolean');
    expect(d.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
    expect(d.limits.maxComputeWorkgroupsPerDimension).toBeGreaterThanOrEqual(65535);
  });

  it('one MLP training step is one submit with zero readbacks, and frees its intermediates', async () => {
    const x = cr.randn([128, 784], { seed: 9 });
    const y = cr.tensor(Int32Array.from({ length: 128 }, (_, i) => i % 10));
    const params = mlp();
    sgdStep(params, x, y); // compiles the pipelines
    sgdStep(params, x, y); // and those of a step whose gradients add to the last ones (fused differently)
    await cr.sync();
    cr.resetStats();
    const before = cr.stats();
    const { loss } = sgdStep(params, x, y);
    const live = cr.stats().liveTensors; // now: while awaiting, the collector may free older tensors
    await cr.sync(); // the plan is submitted at the end of this task; sync adds no submit of its own
    const after = cr.stats();
    expect(after.submits).toBe(1);
    expect(after.readbacks).toBe(0);
    // Fused: the forward in 2 kernels (matmul+add+relu, matmul+add), the loss and its gradient in 1,
    // each weight's gradient with its update (matmul'+mul+sub), matmul'+relu', 2 bias sums and their updates.
    expect(after.dispatches).toBe(10);
    expect(after.pipelines).toBe(before.pipelines); // compiled once, reused
    // Kept: the loss, 4 new parameters and 4 gradients; everything else went back to the pool.
    expect(live - before.liveTensors).toBe(9);
    expect(after.bytesUploaded).toBe(0); // scalar constants are cached on the device
    expect(Number.isFinite(await loss.item())).toBe(true);
  });

  it('a step with an optimizer is one submit: forward, backward and the parameters updated together, reusing its plan', async () => {
    const x = cr.randn([128, 784], { seed: 9 });
    const y = cr.tensor(Int32Array.from({ length: 128 }, (_, i) => i % 10));
    const params = mlp();
    for (const [name, opt] of [
      ['SGD', new cr.optim.SGD(params, { lr: 0.1, momentum: 0.9 })],
      ['Adam', new cr.optim.Adam(params)],
    ] as const) {
      const step = () => {
        const [w1, b1, w2, b2] = params;
        const loss = cr.softmaxCrossEntropy(x.matmul(w1).add(b1).relu().matmul(w2).add(b2), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss;
      };
      for (let i = 0; i < 5; i++) step(); // compile, allocate, build the plan's bind groups
      await cr.sync(); // and autotune's measurements end: the next step runs the kernels chosen
      step();
      await cr.sync();
      cr.resetStats();
      const before = cr.stats();
      const loss = step();
      await cr.sync();
      const after = cr.stats();
      expect(after.submits, name).toBe(1);
      expect(after.readbacks, name).toBe(0);
      expect(after.bytesUploaded, name).toBe(0);
      expect(after.pipelines, name).toBe(before.pipelines);
      // Reused, but for at most the loss's: it outlives the step, so its buffer is whichever one
      // the garbage collector has returned by then.
      expect(after.bindGroups, `${name}: bind groups reused`).toBeLessThanOrEqual(1);
      // 8 kernels forward and backward (fused; add's gradients and the bias gradients' reshapes are
      // views), then the updates of all 4 parameters in as few dispatches as the device binds
      // buffers for (SwiftShader: 12 storage buffers per kernel; SGD binds 3 per parameter, Adam 4).
      const perKernel = Math.floor(cr.deviceInfo().limits.maxStorageBuffersPerShaderStage / (name === 'SGD' ? 3 : 4));
      expect(after.dispatches, `${name}: updates fused`).toBe(before.dispatches + 8 + Math.ceil(4 / perKernel));
      expect(Number.isFinite(await loss.item()), name).toBe(true);
      expect(opt.params).toEqual(params); // updated in place: the same tensors
    }
  });

  it('matches the CPU reference over a 3-layer MLP to 1e-4 relative (loss and every gradient)', async () => {
    const run = async () => {
      const X = cr.randn([16, 20], { seed: 1 });
      const y = cr.tensor(Int32Array.from({ length: 16 }, (_, i) => i % 5));
      const ps = [[20, 32], [32], [32, 24], [24], [24, 5], [5]].map((s, i) => {
        const p = cr
          .randn(s, { seed: 10 + i })
          .mul(0.3)
          .detach();
        p.requiresGrad = true;
        return p;
      });
      const [w1, b1, w2, b2, w3, b3] = ps;
      const loss = cr.softmaxCrossEntropy(X.matmul(w1).add(b1).relu().matmul(w2).add(b2).tanh().matmul(w3).add(b3), y);
      loss.backward();
      return [await loss.data(), ...(await Promise.all(ps.map((p) => p.grad!.data())))];
    };
    const gpu = await run();
    await cr.init({ device: 'cpu' });
    const cpu = await run();
    await cr.init({ device: 'webgpu' });
    gpu.forEach((g, i) => {
      const scale = Math.max(...Array.from(cpu[i], Math.abs), 1e-6);
      g.forEach((v, k) => expect(Math.abs(v - cpu[i][k]) / scale, `tensor ${i} element ${k}`).toBeLessThan(1e-4));
    });
  });

  it('reading an intermediate freed by a plan recomputes it', async () => {
    const a = cr.tensor([1, 2, 3], { requiresGrad: true });
    const h = a.mul(2);
    const loss = h.exp().sum();
    loss.backward();
    cr.realize([a.grad!]);
    expect(h.value.storage).toBeNull(); // freed at its last use
    expect(Array.from(await h.data())).toEqual([2, 4, 6]);
  });

  it('handles 0-size, 1-element, odd sizes and more than 65,535 workgroups', async () => {
    expect(Array.from(await cr.zeros([0, 3]).add(1).data())).toEqual([]);
    expect(await cr.tensor([2]).mul(3).item()).toBe(6);
    expect(
      Array.from(
        await cr
          .zeros([2, 0])
          .matmul(cr.zeros([0, 3]))
          .data(),
      ),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    const n = 65535 * 64 + 77; // 65,536 workgroups of 64: needs the second grid dimension
    const big = cr.ones([n]).mul(2);
    const values = await big.data();
    expect(values.length).toBe(n);
    expect(values[0]).toBe(2);
    expect(values[n - 1]).toBe(2);
    expect(values.every((v) => v === 2)).toBe(true);
    expect(await cr.ones([n]).sum().item()).toBe(n);
  });

  it('takes a tensor near maxStorageBufferBindingSize and names the limit when one is over it', async () => {
    const limit = cr.deviceInfo().limits.maxStorageBufferBindingSize;
    const near = Math.min(limit, 256 * 2 ** 20) / 4 - 64; // elements: near the limit (capped at 256 MiB for CI memory)
    const t = cr.full([near], 1.5).mul(2);
    const v = await t.data();
    expect(v[near - 1]).toBe(3);
    const over = limit / 4 + 1;
    expect(() => cr.zeros([over / 1, 1]).reshape([over])).toThrow(/maxStorageBufferBindingSize of \d+ bytes/);
  });

  it('surfaces a shader compile error with the file and line', async () => {
    const errors: Error[] = [];
    const pending: Promise<void>[] = [];
    const gpu = currentBackend() as unknown as { device: GPUDevice };
    gpu.device.pushErrorScope('validation'); // keep this deliberate error out of the shared device's error state
    compile(gpu.device, 'broken', 'fn f() -> f32 {\n  return 1.0\n}\n', 3, (e) => errors.push(e), pending);
    await Promise.all(pending);
    expect((await gpu.device.popErrorScope())?.message).toMatch(/expected ';'/);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(cr.ShaderError);
    expect(errors[0].message).toMatch(/^broken: WGSL does not compile:\n {2}shaders\/broken\.wgsl:3:1: /);
  });

  it('reports an uncaptured device error once, as a GpuError at the next sync, then carries on', async () => {
    const gpu = currentBackend() as unknown as { device: GPUDevice };
    const logged = console.error;
    console.error = () => {}; // the backend also logs it; keep the test output clean
    try {
      gpu.device.createBuffer({ size: 16, usage: 0 }); // invalid: no usage
      await expect(cr.sync()).rejects.toThrow(/^webgpu: GPUValidationError: /);
      await expect(cr.sync()).resolves.toBeUndefined();
      expect(await cr.tensor([1, 2]).add(1).data()).toEqual(Float32Array.of(2, 3));
    } finally {
      console.error = logged;
    }
  });

  it('float64 (CPU-only) computations use GPU tensors through a copy, and gradcheck runs on webgpu', async () => {
    const X = cr.randn([4, 3], { seed: 3 }); // on the GPU
    const W = cr.randn([3, 2], { seed: 4 });
    const errors = await cr.gradcheck((W) => cr.softmaxCrossEntropy(X.matmul(W), [0, 1, 1, 0]), [W]);
    expect(errors[0]).toBeLessThan(1e-3);
  });
});

describe('verify mode', () => {
  it('checks every node of a training step against the CPU reference and passes when they agree', async () => {
    const x = cr.randn([8, 6], { seed: 1 });
    const w = cr.randn([6, 4], { seed: 2, requiresGrad: true });
    const loss = cr.softmaxCrossEntropy(x.matmul(w).relu(), [0, 1, 2, 3, 0, 1, 2, 3]);
    loss.backward();
    await expect(w.grad!.data({ verify: true })).resolves.toHaveLength(24);
  });

  it('names the first node that differs, its shapes, the error and the line that made it', async () => {
    const { relu } = await import('../../src/ops/relu.ts');
    const { apply } = await import('../../src/tensor.ts');
    // A CPU reference that disagrees with shaders/relu.wgsl (identity instead of max(0, x)).
    const wrong: typeof relu.spec = { ...relu.spec, fwd: ([x], y) => y.data.set(x.data) };
    const y = apply(wrong, [cr.tensor([-1, 2, -3])], {}).mul(2);
    await expect(y.data({ verify: true })).rejects.toThrow(
      /^verify: relu_fwd \(inside fused:relu\+mul\) -> \[3\] differs from the CPU reference: max error 1\.00e\+0 .* at element 0: device 0, cpu -1; inputs \[3\]\n {4}tensor made at .*gpu-executor\.test\.ts/,
    );
  });

  it('a verify failure can be shown on the graph: the diverging node is outlined', async () => {
    const { relu } = await import('../../src/ops/relu.ts');
    const { apply } = await import('../../src/tensor.ts');
    const wrong: typeof relu.spec = { ...relu.spec, fwd: ([x], y) => y.data.set(x.data) };
    const y = apply(wrong, [cr.tensor([-1, 2, -3], [3], { requiresGrad: true })], {}).mul(2); // a graph that keeps its nodes
    const error = await y.data({ verify: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cr.VerifyError);
    const g = await cr.graph(y);
    const id = g.nodeOf(error as cr.VerifyError)!;
    expect(g.nodes[id].op).toBe('relu');
    expect(g.toSvg({ highlight: error as cr.VerifyError })).toMatch(new RegExp(`<g data-node="${id}"><rect [^>]*stroke="red" stroke-width="3"`));
  });

  it('checks optimizer updates too: what an update reads is kept until the next await, then compared with its CPU reference', async () => {
    const { applyUpdates } = await import('../../src/executor.ts');
    const { sgd } = await import('../../src/ops/sgd.ts');
    await cr.init({ device: 'webgpu', verify: true });
    const w = cr.randn([5, 3], { seed: 1, requiresGrad: true });
    const opt = new cr.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      cr.sum(w.square()).backward();
      opt.step();
    }
    await expect(cr.sync()).resolves.toBeUndefined(); // the kernel agrees with the reference
    // A reference that disagrees with shaders/sgd.wgsl (no update at all) is caught, naming the parameter.
    const wrong = { ...sgd, step: () => {} };
    const g = cr.randn([5, 3], { seed: 2 });
    applyUpdates([
      {
        spec: wrong,
        hyper: { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true },
        param: w.value,
        grad: g.value,
        state: [cr.zeros([0]).value],
      },
    ]);
    await expect(cr.sync()).rejects.toThrow(
      /^verify: sgd_step \(param\) of Tensor\(float32 \[5,3\], requiresGrad\) \(made at .*gpu-executor\.test\.ts:\d+:\d+\) differs from the CPU reference/,
    );
    await cr.init({ device: 'webgpu' });
  });

  it('init({ verify: true }) checks every plan at the next await', async () => {
    await cr.init({ device: 'webgpu', verify: true });
    expect(cr.deviceInfo().verify).toBe(true);
    const a = cr.randn([5, 7], { seed: 3, requiresGrad: true });
    a.matmul(a.transpose()).sum().backward();
    cr.realize([a.grad!]);
    await expect(cr.sync()).resolves.toBeUndefined();
    await cr.init({ device: 'webgpu' });
  });
});

describe('device selection', () => {
  /** init() in a child Node process with this environment: its DeviceInfo, the error of init({ device: 'webgpu' }), and its stderr. */
  async function initIn(env: Record<string, string>) {
    const { spawnSync } = await import('node:child_process');
    const script = `
      import * as cr from './src/node.ts';
      const info = await cr.init();
      let error = '';
      try { await cr.init({ device: 'webgpu', quiet: true }); } catch (e) { error = e.name + ': ' + e.message; }
      console.log(JSON.stringify({ device: info.device, reason: info.reason, error }));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    return { ...JSON.parse(child.stdout.trim().split('\n').pop()!), stderr: child.stderr };
  }

  it('without a Vulkan loader, falls back to the CPU with one line that says why, and names it when WebGPU is required', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/no-vulkan-`);
    await writeFile(`${dir}/libvulkan.so.1`, ''); // found first on LD_LIBRARY_PATH, and not a library
    const out = await initIn({ LD_LIBRARY_PATH: dir });
    expect(out.device).toBe('cpu');
    expect(out.reason).toMatch(/^no WebGPU adapter: no Vulkan loader \(.*libvulkan\.so\.1.*\); on Debian or Ubuntu: apt-get install libvulkan1$/);
    expect(out.error).toBe(`DeviceError: init: ${out.reason}`);
    expect(out.stderr).toBe(`chainrule: computing on the CPU reference: ${out.reason}\n`); // no native warnings
  });

  it('with VK_ICD_FILENAMES naming no driver, says so instead of asking Dawn', async () => {
    const out = await initIn({ VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(out.device).toBe('cpu');
    expect(out.reason).toBe('no WebGPU adapter: no Vulkan driver: VK_ICD_FILENAMES / VK_DRIVER_FILES names no manifest that exists (/nonexistent/icd.json)');
    expect(out.stderr).toBe(`chainrule: computing on the CPU reference: ${out.reason}\n`);
  });

  it('finds an adapter by itself (SwiftShader here) without printing anything', async () => {
    const out = await initIn({});
    expect(out.device).toBe('webgpu');
    expect(out.reason).toBe('');
    expect(out.stderr).toBe('');
  });
});
