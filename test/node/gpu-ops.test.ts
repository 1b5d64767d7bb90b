import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { registry } from '../../src/ops/registry.ts';
import type { AnyOpSpec } from '../../src/ops/spec.ts';
import { checkCase, checkSpecial, TOL } from '../gpu-checks.ts';
import { formatSpecial } from '../helpers.ts';

// The registry suite on WebGPU: every kernel's forward and VJP against the CPU reference on the same
// float32 inputs, for every test shape, and on IEEE special values against PyTorch's results as each
// spec tabulates them (spec.test.special). No adapter means init throws and the suite fails (never skips).

beforeAll(async () => {
  const info = await cr.init({ device: 'webgpu' });
  expect(info.device).toBe('webgpu');
});
afterAll(() => cr.dispose());

describe.each(registry.map((spec) => [spec.name, spec] as const))('%s on webgpu', (_name, spec: AnyOpSpec) => {
  it.each(spec.test.cases.map((c, i) => [JSON.stringify(c), c, i] as const))('matches the CPU reference for %s', async (_l, c, i) => {
    for (const { kernel, error, shapeOk } of await checkCase(spec, c, i)) {
      expect(shapeOk, `${kernel} shape`).toBe(true);
      expect(error, kernel).toBeLessThan(TOL);
    }
  });
});

describe.each(registry.filter((spec) => (spec.test.special ?? []).length > 0).map((spec) => [spec.name, spec] as const))(
  '%s on webgpu',
  (_name, spec: AnyOpSpec) => {
    it('matches PyTorch on IEEE special values (NaN, ±Infinity, ±0), as does the CPU reference', async () => {
      const rows = [];
      for (const c of spec.test.special!) rows.push(...(await checkSpecial(spec, c)));
      expect(rows.length).toBeGreaterThan(0);
      const failures = rows.filter((r) => !r.ok);
      expect(failures.length, `${failures.length} of ${rows.length} values differ from PyTorch:${formatSpecial(failures)}`).toBe(0);
    });
  },
);
