import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from '../src/index.ts';
import { apply, vjpOf } from '../src/graph.ts';
import { registry } from '../src/ops/index.ts';
import type { AnyOpSpec } from '../src/ops/spec.ts';
import { fromValues } from '../src/tensor.ts';
import { maxError, randomCotangent, randomInputs, runForward, runVjp, toFloat32 } from './helpers.ts';

// The registry suite on WebGPU: every kernel's forward and VJP against the CPU reference on the same
// float32 inputs, for every test shape. No adapter means init throws and the suite fails (never skips).

const TOL = 1e-4; // |gpu - cpu| / max(1, |cpu|): float32 kernels, different summation orders

beforeAll(async () => {
  const info = await cr.init({ device: 'webgpu' });
  expect(info.device).toBe('webgpu');
});
afterAll(() => cr.dispose());

describe.each(registry.map((spec) => [spec.name, spec] as const))('%s on webgpu', (_name, spec: AnyOpSpec) => {
  it.each(spec.test.cases.map((c, i) => [JSON.stringify(c), c, i] as const))('matches the CPU reference for %s', async (_l, c, i) => {
    const args = toFloat32(randomInputs(spec, c, 5000 + i));
    const x = args.map((a, k) => fromValues(a.data, a.shape, spec.inputs[k].differentiable));
    const y = apply(spec, x, c.attrs ?? {});
    const want = runForward(spec, args, c.attrs);
    expect(y.shape).toEqual(want.shape);
    expect(maxError(await y.data(), want.data), 'forward').toBeLessThan(TOL);

    const dy = { shape: want.shape, dtype: 'float32' as const, data: Float32Array.from(randomCotangent(want.data.length, 6000 + i)) };
    for (let wrt = 0; wrt < spec.inputs.length; wrt++) {
      if (!spec.inputs[wrt].differentiable) continue;
      const dx = vjpOf(y, wrt, fromValues(dy.data, dy.shape));
      const wantDx = runVjp(spec, args, c.attrs, dy, wrt);
      expect(dx.shape).toEqual(wantDx.shape);
      expect(maxError(await dx.data(), wantDx.data), `VJP for input ${wrt}`).toBeLessThan(TOL);
    }
  });
});
