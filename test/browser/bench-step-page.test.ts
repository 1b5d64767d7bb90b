// The training-step benchmark page (bench/step/) in headless Chromium: ?quick=1 measures all three
// models on WebGPU and on the CPU reference, one submit and no readback per WebGPU step, and draws
// the samples/s chart. The page exposes its results as window.__bench (bench/pages/common.ts).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchState } from '../../bench/pages/common.ts';
import { collectConsoleErrors } from '../browser.ts';
import { benchResult, expectWebGpuHeader, servedPages } from '../pages-fixture.ts';

const pages = servedPages();

const MODELS = ['spiral 2-100-3', 'mnist 784-256-10', 'deep 784-1024-512-256-10'];

describe('the training-step benchmark page', () => {
  it('?quick=1 times all three models on WebGPU and the CPU reference and draws the chart', async () => {
    const page = await pages.browser.newPage();
    await page.setViewport({ width: 1100, height: 1000 });
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/bench/step/?quick=1`);
    const state = await benchResult(page, 90_000);

    await expectWebGpuHeader(page, state, 'step');

    // Batches 32 and 256 for every model on both devices (the deep model's CPU cap is 256: still in).
    const key = (r: BenchState['rows'][number]) => `${r.model} | ${r.device} | ${r.batch}`;
    const expected = MODELS.flatMap((m) => ['webgpu', 'cpu'].flatMap((d) => [32, 256].map((b) => `${m} | ${d} | ${b}`)));
    expect(state.rows.map(key).sort()).toEqual(expected.sort());

    for (const r of state.rows) {
      const ms = r['ms/step'] as number,
        rate = r['samples/s'] as number;
      expect(Number.isFinite(ms) && ms > 0, `${key(r)}: ms/step ${ms}`).toBe(true);
      expect(Number.isFinite(rate) && rate > 0, `${key(r)}: samples/s ${rate}`).toBe(true);
      expect(rate).toBeCloseTo((Number(r.batch) * 1000) / ms, 6);
      expect(r.batch, 'the batch as written (a string: 1024 stays 1024 in the table)').toMatch(/^\d+$/);
      expect(Number.isFinite(r.loss as number), `${key(r)}: loss ${r.loss}`).toBe(true);
      if (r.device === 'webgpu') {
        expect(r['submits/step'], `${key(r)}: submits per step`).toBe(1);
        expect(r['bytes read/step'], `${key(r)}: bytes read back per step`).toBe(0);
        expect(r['readbacks/step']).toBe(0);
        expect(r['bytes up/step'], `${key(r)}: the data are already on the device`).toBe(0);
        expect(r['dispatches/step'] as number).toBeGreaterThan(0);
        // Same seeds, same number of steps: the last loss agrees with the CPU reference.
        const cpu = state.rows.find((c) => c.device === 'cpu' && c.model === r.model && c.batch === r.batch)!;
        expect(Math.abs((r.loss as number) - (cpu.loss as number)), `${key(r)}: loss ${r.loss} vs CPU ${cpu.loss}`).toBeLessThan(
          1e-3 * Math.max(1, Math.abs(cpu.loss as number)),
        );
      }
    }

    // The table on the page, and the chart's lines: saturated pixels (the grid and labels are grey).
    expect(await page.$$eval('#results tbody tr', (trs) => trs.length)).toBe(state.rows.length);
    const inked = await page.$eval('#chart', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 80) n++;
      return n;
    });
    expect(inked, 'coloured (line) pixels on the chart').toBeGreaterThan(500);
    expect(await page.$eval('#cpu-cap', (e) => e.textContent ?? '')).toMatch(/cpuall=1|every batch/);

    // Where each model's step goes, kernel by kernel (cr.profile with GPU timestamp queries).
    const profiles = Object.entries(state.profiles ?? {});
    expect(profiles.map(([name]) => name.split(',')[0]).sort()).toEqual(['deep 784-1024-512-256-10', 'mnist 784-256-10', 'spiral 2-100-3']);
    for (const [name, p] of profiles) {
      expect(p.clock, `${name}: timed by the GPU`).toBe('timestamp-query');
      // Fused as a step runs: the forward matmuls with their epilogues, the updates in one kernel.
      const kernels = p.kernels.map((k) => k.kernel);
      expect(
        kernels.some((k) => k.startsWith('fused:matmul+add')),
        `${name}: ${kernels.join(', ')}`,
      ).toBe(true);
      expect(
        kernels.some((k) => k.startsWith('fused:sgd')),
        `${name}: ${kernels.join(', ')}`,
      ).toBe(true);
      expect(
        p.kernels.every((k) => k.ms !== null && k.ms >= 0 && k.calls > 0),
        name,
      ).toBe(true);
      expect(p.kernelMs!, name).toBeGreaterThan(0);
    }
    expect(await page.$$eval('#profiles table', (tables) => tables.length)).toBe(3);

    // Outside the tree (test/screenshots belongs to the other page tests): for a look by hand.
    await page.screenshot({ path: join(tmpdir(), 'chainrule-bench-step-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
