import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { registry } from '../../src/ops/registry.ts';
import { checkCase, checkFused, checkSpecial, ownDevice, registryRuns, TOL, type RegistryRun } from '../gpu-checks.ts';
import { formatSpecial } from '../helpers.ts';

// The registry suite on WebGPU: every kernel's forward and VJP against the CPU reference on the same
// float32 inputs, for every test shape, and on IEEE special values against PyTorch's results as each
// spec tabulates them (spec.test.special). An op with kernel variants (matmul: blocked, tiled) runs
// once per variant, forced on; an op that fusion changes runs fused and unfused. No adapter means
// init throws and the suite fails (never skips).

const init = async (options: RegistryRun['init'] = { variants: {}, fuse: true }) => {
  const info = await cr.init({ device: 'webgpu', ...options });
  expect(info.device).toBe('webgpu');
};
beforeAll(() => init());
afterAll(() => cr.dispose());

describe.each(registryRuns(registry).map((run) => [run.label, run] as const))('%s on webgpu', (_label, run: RegistryRun) => {
  const { spec } = run;
  if (ownDevice(run)) {
    beforeAll(() => init(run.init));
    afterAll(() => init());
  }

  it.each(spec.test.cases.map((c, i) => [JSON.stringify(c), c, i] as const))('matches the CPU reference for %s', async (_l, c, i) => {
    for (const { kernel, error, shapeOk } of await checkCase(spec, c, i)) {
      expect(shapeOk, `${kernel} shape`).toBe(true);
      expect(error, kernel).toBeLessThan(TOL);
    }
  });

  if (run.init.fuse) {
    it('matches the CPU reference fused with its neighbours, forward and VJPs in one plan, for every case', async () => {
      for (const [i, c] of spec.test.cases.entries()) {
        for (const { kernel, error, shapeOk } of await checkFused(spec, c, i)) {
          expect(shapeOk, `${kernel} shape for ${JSON.stringify(c)}`).toBe(true);
          expect(error, `${kernel} for ${JSON.stringify(c)}`).toBeLessThan(TOL);
        }
      }
      // An op a generated kernel can take in was taken in (the forward and, where it has one, its VJP).
      const fused = cr.fusedKernels().flatMap((k) => k.ops);
      // (A VJP that is a view, add's, runs no kernel at all; a reduction fuses its forward only.)
      const vjpRuns = spec.vjp && spec.fusible !== 'prologue' && (spec.identity?.vjp?.length ?? 0) < spec.inputs.length;
      if (spec.fusible) expect(fused).toEqual(expect.arrayContaining(vjpRuns ? [spec.name, `${spec.name}'`] : [spec.name]));
    });
  }

  const special = spec.test.special ?? [];
  if (special.length > 0) {
    it('matches PyTorch on IEEE special values (NaN, ±Infinity, ±0), as does the CPU reference', async () => {
      const rows = [];
      for (const c of special) rows.push(...(await checkSpecial(spec, c)));
      expect(rows.length).toBeGreaterThan(0);
      const failures = rows.filter((r) => !r.ok);
      expect(failures.length, `${failures.length} of ${rows.length} values differ from PyTorch:${formatSpecial(failures)}`).toBe(0);
    });
  }
});

describe('kernel variants and fusion', () => {
  it('the suite forces each variant of each op that has some, and runs ops that fusion changes unfused too', () => {
    const labels = registryRuns(registry)
      .filter(ownDevice)
      .map((r) => r.label);
    expect(labels).toEqual(expect.arrayContaining(['matmul (blocked)', 'matmul (tiled)', 'add (unfused)', 'sub (unfused)', 'reshape (unfused)']));
  });
});
