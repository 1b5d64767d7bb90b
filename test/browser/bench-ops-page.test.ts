// The op benchmark page (bench/ops/) in headless Chromium: ?quick=1 times the forward and every VJP
// of every op in the registry (and the optimizer updates) on WebGPU and on the CPU reference, and
// draws the chart. The page exposes its results as window.__bench (bench/pages/common.ts).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchState } from '../../bench/pages/common.ts';
import { registry, updates } from '../../src/ops/registry.ts';
import { collectConsoleErrors } from '../browser.ts';
import { benchResult, expectWebGpuHeader, servedPages } from '../pages-fixture.ts';

const pages = servedPages();

type Row = BenchState['rows'][number];
const key = (r: Row) => `${r.op} | ${r.kernel} | ${r.size}`;

describe('the op benchmark page', () => {
  it('?quick=1 times every op forward and VJP on WebGPU and the CPU reference and draws the chart', async () => {
    const page = await pages.browser.newPage();
    await page.setViewport({ width: 1100, height: 1000 });
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/bench/ops/?quick=1`);
    const state = await benchResult(page, 90_000);

    await expectWebGpuHeader(page, state, 'ops');
    expect(state.env?.methodology).toMatch(/cr\.sync\(\)/);

    // Every op: a forward row, and a VJP row per differentiable input where the op has a VJP; every
    // update: a step row. Two sizes each (quick), and nothing else.
    const expected = [
      ...registry.flatMap((op) =>
        ['fwd', ...(op.vjp ? op.inputs.filter((i) => i.differentiable).map((i) => `vjp ${i.name}`) : [])].map((k) => `${op.name} | ${k}`),
      ),
      ...updates.map((u) => `${u.name} | step`),
    ];
    const seen = state.rows.map((r) => `${r.op} | ${r.kernel}`);
    expect([...new Set(seen)].sort()).toEqual(expected.sort());
    for (const k of expected) expect(seen.filter((s) => s === k).length, `${k}: one row per quick size`).toBe(2);
    expect(registry.filter((op) => op.vjp).length, 'ops with a VJP').toBeGreaterThan(20);

    // Quick sizes: 1e3 and 1e5 elements (the largest input, within the leading dimension's rounding), matmul n 64 and 256.
    for (const r of state.rows) {
      const size = r.size as number;
      if (r.op === 'matmul') expect([64, 256], key(r)).toContain(size);
      else expect(Math.min(Math.abs(size / 1e3 - 1), Math.abs(size / 1e5 - 1)), `${key(r)}: size`).toBeLessThan(0.1);
    }

    // Both devices ran every row (quick sizes are under the CPU cap); numbers finite and positive.
    for (const r of state.rows) {
      for (const col of ['cpu ms', 'gpu ms', 'speedup', 'cpu rate', 'gpu rate']) {
        const v = r[col];
        expect(typeof v === 'number' && Number.isFinite(v) && v > 0, `${key(r)}: ${col} = ${v}`).toBe(true);
      }
      expect(r.speedup as number).toBeCloseTo((r['cpu ms'] as number) / (r['gpu ms'] as number), 6);
      expect(r.unit, key(r)).toBe(r.op === 'matmul' || r.op === 'conv2d' ? 'GFLOP/s' : 'GB/s'); // ops measured in flops
    }
    // Matmul's rate is 2n³ flops over the time.
    const mm = state.rows.find((r) => r.op === 'matmul' && r.kernel === 'fwd' && r.size === 256)!;
    expect(mm['gpu rate'] as number).toBeCloseTo((2 * 256 ** 3) / ((mm['gpu ms'] as number) * 1e6), 6);

    // The table on the page, the chart's lines (saturated pixels: the grid and labels are grey), a
    // selector with every op, and the CPU cap said.
    expect(await page.$$eval('#results tbody tr', (trs) => trs.length)).toBe(state.rows.length);
    expect(await page.$$eval('#op option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([...registry, ...updates].map((s) => s.name));
    const inked = () =>
      page.$eval('#chart', (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 80) n++;
        return n;
      });
    expect(await inked(), 'coloured (line) pixels on the chart').toBeGreaterThan(500);
    await page.select('#op', 'matmul');
    expect(await inked(), 'the matmul chart').toBeGreaterThan(500);
    expect(await page.$eval('#cpu-cap', (e) => e.textContent ?? '')).toMatch(/cpuall=1/);
    expect(state.progress).toBe('done');

    // Outside the tree (test/screenshots belongs to the other page tests): for a look by hand.
    await page.screenshot({ path: join(tmpdir(), 'chainrule-bench-ops-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
