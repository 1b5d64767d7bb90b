import { afterAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';

// Kernel variants chosen by measurement on the device (src/backend/webgpu/autotune.ts): matmul's
// blocked and tiled kernels timed at the first use of a shape class, forced, or left to the default.

afterAll(() => cr.dispose());

describe('autotune', () => {
  it('times each matmul variant at the first use of a shape class and keeps the choice', async () => {
    await cr.init({ device: 'webgpu' });
    const a = cr.randn([48, 96], { seed: 1 });
    const b = cr.randn([96, 40], { seed: 2 });
    const y = a.matmul(b);
    expect((await y.data()).every(Number.isFinite)).toBe(true);
    await cr.sync(); // waits for the measurement
    const tuned = cr.tuning().filter((t) => t.kernel === 'matmul_fwd' && t.shapes === '[64,128] [128,64]');
    expect(tuned).toHaveLength(1);
    const [t] = tuned;
    expect(t.by).toBe('measured');
    expect(Object.keys(t.ms).sort()).toEqual(['blocked', 'tiled']);
    for (const ms of Object.values(t.ms)) expect(ms).toBeGreaterThan(0);
    expect(['blocked', 'tiled']).toContain(t.variant);
    // A shape in the same class is not measured again, nor after another init() on the same adapter.
    await cr.init({ device: 'webgpu' });
    await cr
      .randn([50, 100], { seed: 3 })
      .matmul(cr.randn([100, 33], { seed: 4 }))
      .data();
    await cr.sync();
    expect(cr.tuning().filter((x) => x.kernel === 'matmul_fwd' && x.shapes === '[64,128] [128,64]')).toEqual([t]);
  });

  it('measures the VJP kernels apart from the forward', async () => {
    await cr.init({ device: 'webgpu' });
    const w = cr.randn([24, 12], { seed: 5, requiresGrad: true });
    cr.sum(cr.matmul(cr.randn([20, 24], { seed: 6 }), w)).backward();
    await w.grad!.data();
    await cr.sync();
    const kernels = cr.tuning().map((t) => t.kernel);
    expect(kernels).toContain('matmul_vjp (input 1)');
    expect(cr.tuning().every((t) => t.by === 'measured')).toBe(true);
  });

  it('autotune: false runs the default variant and measures nothing; variants force one', async () => {
    await cr.init({ device: 'webgpu', autotune: false });
    const before = cr.tuning().length;
    await cr
      .randn([300, 7], { seed: 7 })
      .matmul(cr.randn([7, 300], { seed: 8 }))
      .data();
    await cr.sync();
    expect(cr.tuning().length).toBe(before);
    await cr.init({ device: 'webgpu', variants: { matmul: 'tiled' } });
    await cr
      .randn([3, 500], { seed: 9 })
      .matmul(cr.randn([500, 3], { seed: 10 }))
      .data();
    await cr.sync();
    expect(cr.tuning().length).toBe(before);
  });

  it('rejects an unknown op or variant with a DeviceError that lists what exists', async () => {
    await expect(cr.init({ device: 'webgpu', variants: { relu: 'tiled' } })).rejects.toThrow(
      /^init: variants: relu has no kernel variants; kernels with variants: matmul \(blocked, tiled\)/,
    );
    await expect(cr.init({ device: 'webgpu', variants: { matmul: 'fast' } })).rejects.toThrow(
      "init: variants: matmul has no variant 'fast' (it has blocked, tiled)",
    );
    await expect(cr.init({ device: 'webgpu', variants: { matmul: 'fast' } })).rejects.toBeInstanceOf(cr.DeviceError);
  });

  it('the CPU reference has no variants to choose', async () => {
    await cr.init({ device: 'cpu' });
    expect(cr.tuning()).toEqual([]);
  });
});
