// The peer benchmark page (bench/peers/) in headless Chromium on WebGPU, quick mode: chainrule,
// jax-js and TF.js each time the MLP step and the matmuls to a finite positive median, their losses
// after the same SGD steps from the same weights agree, the header names the versions, and the page
// logs no console errors; a peer without WebGPU gets rows with the reason and the page still
// finishes. The page exposes its results as window.__bench.
import { describe, expect, it } from 'vitest';
import type { BenchState, Row } from '../../bench/pages/common.ts';
import { collectConsoleErrors } from '../browser.ts';
import { servedPages } from '../pages-fixture.ts';

const LIBRARIES = ['chainrule', 'jax-js', 'TF.js'];
const QUICK_SIZES = [256, 512, 1024];

const pages = servedPages();

const find = (rows: Row[], workload: string, library: string, n?: number) =>
  rows.find((r) => r.workload === workload && r.library === library && (n === undefined || r.size === `${n}×${n}`));

describe('the peer benchmark page in headless Chrome', () => {
  it('times chainrule, jax-js and TF.js side by side and their losses agree', async () => {
    const page = await pages.browser.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/bench/peers/?quick=1`);
    await page.waitForFunction(() => window.__bench?.status !== 'running', { timeout: 150_000, polling: 500 });
    const state: BenchState = await page.evaluate(() => structuredClone(window.__bench));
    expect(state.error, 'the page shows an error').toBeNull();
    expect(state.status).toBe('done');
    expect(state.env?.software !== undefined).toBe(true);

    // No peer failed: every row has a time, none says "failed".
    const failed = state.rows.filter((r) => String(r.note ?? '').startsWith('failed'));
    expect(failed.map((r) => `${r.library} ${r.workload} ${r.size}: ${r.note}`)).toEqual([]);

    const losses: number[] = [];
    for (const library of LIBRARIES) {
      const mlp = find(state.rows, 'MLP step', library);
      expect(mlp, `${library} MLP row`).toBeDefined();
      const ms = mlp!['median ms'] as number;
      expect(Number.isFinite(ms) && ms > 0, `${library} ms/step ${ms}`).toBe(true);
      const [first, final] = [Number(mlp!['first loss']), Number(mlp!['final loss'])];
      expect(Number.isFinite(first) && Number.isFinite(final), `${library} losses ${first} -> ${final}`).toBe(true);
      expect(final, `${library}: SGD lowers the loss`).toBeLessThan(first);
      losses.push(final);
      for (const n of QUICK_SIZES) {
        const mm = find(state.rows, 'matmul', library, n);
        expect(mm, `${library} matmul ${n} row`).toBeDefined();
        const [t, gflops] = [mm!['median ms'] as number, mm!['GFLOP/s'] as number];
        expect(Number.isFinite(t) && t > 0 && Number.isFinite(gflops) && gflops > 0, `${library} matmul ${n}: ${t} ms, ${gflops} GFLOP/s`).toBe(true);
      }
    }
    expect(find(state.rows, 'matmul', 'chainrule', 2048), 'quick mode skips 2048').toBeUndefined();
    // tf.tidy and the disposed loss: TF.js holds as many tensors after the last step as after the first.
    expect(find(state.rows, 'MLP step', 'TF.js')!.note).toMatch(/no leak/);

    // The correctness cross-check: same weights, data, lr and number of steps, so the same loss.
    const ref = losses[0];
    for (const [i, loss] of losses.entries()) {
      expect(Math.abs(loss - ref) / Math.abs(ref), `${LIBRARIES[i]} loss ${loss} vs chainrule ${ref}`).toBeLessThan(1e-3);
    }
    expect(await page.$eval('#loss-check', (e) => e.textContent ?? '')).toMatch(/within 0\.001/);

    // The header names each library's version; the table and the chart are drawn.
    const header = await page.$eval('#env', (e) => e.textContent ?? '');
    for (const library of LIBRARIES) expect(header).toMatch(new RegExp(`${library.replace('.', '\\.')} \\d+\\.\\d+\\.\\d+`));
    expect(header).toMatch(/tfjs-backend-webgpu \d+\.\d+\.\d+/);
    expect(await page.$$eval('#results tbody tr', (trs) => trs.length)).toBe(state.rows.length);
    expect(await page.$eval('#peer-errors', (e) => (e as HTMLElement).hidden)).toBe(true);

    expect(errors).toEqual([]);
    await page.close();
  }, 180_000); // about 25 to 60 s here (SwiftShader, 2 cores); the margin is for a busy machine

  it('shows a peer without WebGPU as rows with the reason, and still finishes', async () => {
    const page = await pages.browser.newPage();
    const errors = collectConsoleErrors(page);
    // chainrule asks for the adapter first and gets it; the peers' requests get none.
    await page.evaluateOnNewDocument(() => {
      const requestAdapter = GPU.prototype.requestAdapter;
      let calls = 0;
      GPU.prototype.requestAdapter = function (this: GPU, options?: GPURequestAdapterOptions) {
        return calls++ === 0 ? requestAdapter.call(this, options) : Promise.resolve(null);
      };
    });
    await page.goto(`${pages.url}/bench/peers/?quick=1&sizes=256&repeats=1`);
    await page.waitForFunction(() => window.__bench?.status !== 'running', { timeout: 60_000, polling: 500 });
    const state: BenchState = await page.evaluate(() => structuredClone(window.__bench));
    expect(state.error).toBeNull();
    expect(state.status).toBe('done');
    expect(find(state.rows, 'MLP step', 'chainrule')!['median ms']).toBeGreaterThan(0);
    expect(find(state.rows, 'matmul', 'chainrule', 256)!['GFLOP/s']).toBeGreaterThan(0);
    expect(find(state.rows, 'MLP step', 'jax-js')!.note).toMatch(/^failed: .*no WebGPU device/);
    expect(find(state.rows, 'matmul', 'TF.js', 256)!.note).toMatch(/^failed: .*WebGPU backend/);
    expect(await page.$eval('#peer-errors', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#peer-errors', (e) => e.textContent ?? '')).toMatch(/jax-js.*\n.*TF\.js/s);
    expect(errors).toEqual([]); // TF.js says why in a console warning, not an error
    await page.close();
  }, 90_000);
});
