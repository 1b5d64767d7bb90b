// The peer benchmark page (bench/peers/) in headless Chromium on WebGPU, quick mode: chainrule,
// jax-js and TF.js each time both MLP steps (784-256-10 and the 2-100-3 spiral net), a conv layer's
// forward and backward, a small CNN's step and the matmuls to a finite positive median, their losses
// after the same SGD steps from the same weights agree (and the conv layer's gradients, value by
// value), each library's MLP and CNN steps are broken down kernel by kernel (GPU times from timestamp queries), the
// header names the versions, and the page logs no console errors; a peer without WebGPU gets rows
// with the reason and the page still finishes. The page exposes its results as window.__bench.
import type { Page } from 'puppeteer';
import { describe, expect, it } from 'vitest';
import type { Row } from '../../bench/pages/common.ts';
import { CONV, cnnSize, convSize, type PeersState } from '../../bench/peers/workloads.ts';
import { collectConsoleErrors } from '../browser.ts';
import { servedPages } from '../pages-fixture.ts';

const LIBRARIES = ['chainrule', 'jax-js', 'TF.js'];
const MLPS = ['784-256-10, batch 128', '2-100-3, batch 300'];
/** The training steps: the MLPs' and the CNN's (workload, size). */
const STEPS: [string, string][] = [...MLPS.map((size): [string, string] => ['MLP step', size]), ['CNN step', cnnSize]];
const CONV_SIZE = convSize(CONV);
const QUICK_SIZES = [256, 512, 1024];

const pages = servedPages();

/**
 * Waits for the page to leave 'running', polling (as npm run bench does): one waitForFunction would
 * be one protocol call, cut off at puppeteer's protocolTimeout (180 s) before a long timeout.
 */
async function finished(page: Page, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while ((await page.evaluate(() => window.__bench?.status ?? 'running')) === 'running') {
    if (Date.now() > deadline) throw new Error(`the page was still running after ${timeout / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const find = (rows: Row[], workload: string, library: string, size?: string) =>
  rows.find((r) => r.workload === workload && r.library === library && (size === undefined || r.size === size));

describe('the peer benchmark page in headless Chrome', () => {
  it('times chainrule, jax-js and TF.js side by side and their losses agree', async () => {
    const page = await pages.browser.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/bench/peers/?quick=1`);
    await finished(page, 330_000);
    const state: PeersState = await page.evaluate(() => structuredClone(window.__bench));
    expect(state.error, 'the page shows an error').toBeNull();
    expect(state.status).toBe('done');
    expect(state.env?.software !== undefined).toBe(true);

    // No peer failed: every row has a time, none says "failed".
    const failed = state.rows.filter((r) => String(r.note ?? '').startsWith('failed'));
    expect(failed.map((r) => `${r.library} ${r.workload} ${r.size}: ${r.note}`)).toEqual([]);

    for (const [workload, size] of STEPS) {
      const losses: number[] = [];
      for (const library of LIBRARIES) {
        const mlp = find(state.rows, workload, library, size);
        expect(mlp, `${library} MLP ${size} row`).toBeDefined();
        const ms = mlp!['median ms'] as number;
        expect(Number.isFinite(ms) && ms > 0, `${library} MLP ${size}: ms/step ${ms}`).toBe(true);
        const [first, final] = [Number(mlp!['first loss']), Number(mlp!['final loss'])];
        expect(Number.isFinite(first) && Number.isFinite(final), `${library} MLP ${size}: losses ${first} -> ${final}`).toBe(true);
        expect(final, `${library} MLP ${size}: SGD lowers the loss`).toBeLessThan(first);
        losses.push(final);
      }
      // The correctness cross-check: same weights, data, lr and number of steps, so the same loss.
      for (const [i, loss] of losses.entries()) {
        expect(Math.abs(loss - losses[0]) / Math.abs(losses[0]), `MLP ${size}: ${LIBRARIES[i]} loss ${loss} vs chainrule ${losses[0]}`).toBeLessThan(1e-3);
      }
      // tf.tidy and the disposed loss: TF.js holds as many tensors after the last step as after the first.
      expect(find(state.rows, workload, 'TF.js', size)!.note).toMatch(/no leak/);

      // Each library's step kernel by kernel: GPU times, one dispatch per pass, shares summing to 1.
      for (const library of LIBRARIES) {
        const k = state.kernels?.find((e) => e.workload === workload && e.size === size && e.library === library);
        expect(k, `${library} MLP ${size}: kernel breakdown`).toBeDefined();
        expect(k!.kernelMs, `${library} MLP ${size}: ms in kernels per step`).toBeGreaterThan(0);
        expect(k!.dispatches, `${library} MLP ${size}: dispatches per step`).toBeGreaterThan(0);
        expect(k!.kernels.length).toBeGreaterThan(0);
        for (const kernel of k!.kernels) {
          expect(kernel.kernel, `${library}: a named kernel`).toMatch(/\S/);
          expect(
            Number.isFinite(kernel.ms) && kernel.ms >= 0 && kernel.dispatches > 0,
            `${library} ${kernel.kernel}: ${kernel.ms} ms, ${kernel.dispatches} dispatches`,
          ).toBe(true);
        }
        expect(k!.kernels[0].ms, `${library} MLP ${size}: the slowest kernel takes time`).toBeGreaterThan(0);
        expect(k!.kernels.map((r) => r.ms)).toEqual(k!.kernels.map((r) => r.ms).sort((a, b) => b - a));
        expect(k!.kernels.reduce((n, r) => n + r.share, 0)).toBeCloseTo(1, 6);
        expect(k!.method).toMatch(library === 'chainrule' ? /^cr\.profile: GPU timestamp queries/ : /one dispatch per pass/);
        expect(state.tables?.[`Kernels: ${workload} ${size}, ${library}`], `${library} ${workload} ${size}: the Markdown table`).toMatch(/\| kernel \|/);
      }
    }
    // The conv layer: a time and GFLOP/s in every library, and the peers' loss and gradients within 1e-3 of chainrule's.
    for (const library of LIBRARIES) {
      const conv = find(state.rows, 'conv fwd+bwd', library, CONV_SIZE);
      expect(conv, `${library} conv row`).toBeDefined();
      const [t, gflops] = [conv!['median ms'] as number, conv!['GFLOP/s'] as number];
      expect(Number.isFinite(t) && t > 0 && Number.isFinite(gflops) && gflops > 0, `${library} conv: ${t} ms, ${gflops} GFLOP/s`).toBe(true);
      expect(conv!.check).toMatch(/^Σdw -?\d/);
      if (library !== 'chainrule') expect(conv!.note, `${library} conv gradients vs chainrule`).toMatch(/within 0\.001/);
    }
    for (const library of LIBRARIES) {
      for (const n of QUICK_SIZES) {
        const mm = find(state.rows, 'matmul', library, `${n}×${n}`);
        expect(mm, `${library} matmul ${n} row`).toBeDefined();
        const [t, gflops] = [mm!['median ms'] as number, mm!['GFLOP/s'] as number];
        expect(Number.isFinite(t) && t > 0 && Number.isFinite(gflops) && gflops > 0, `${library} matmul ${n}: ${t} ms, ${gflops} GFLOP/s`).toBe(true);
      }
    }
    expect(find(state.rows, 'matmul', 'chainrule', '2048×2048'), 'quick mode skips 2048').toBeUndefined();
    const lossChecks = await page.$$eval('#loss-check p', (ps) => ps.map((p) => p.textContent ?? ''));
    expect(lossChecks).toHaveLength(STEPS.length + 1); // and the conv layer's
    for (const line of lossChecks) expect(line).toMatch(/within 0\.001/);
    expect(await page.$$eval('#kernels table', (ts) => ts.length)).toBe(STEPS.length * LIBRARIES.length);

    // The header names each library's version; the table and the chart are drawn.
    const header = await page.$eval('#env', (e) => e.textContent ?? '');
    for (const library of LIBRARIES) expect(header).toMatch(new RegExp(`${library.replace('.', '\\.')} \\d+\\.\\d+\\.\\d+`));
    expect(header).toMatch(/tfjs-backend-webgpu \d+\.\d+\.\d+/);
    expect(await page.$$eval('#results tbody tr', (trs) => trs.length)).toBe(state.rows.length);
    expect(await page.$eval('#peer-errors', (e) => (e as HTMLElement).hidden)).toBe(true);

    expect(errors).toEqual([]);
    await page.close();
  }, 360_000); // about 2 to 4 min here (SwiftShader, 2 cores; the conv layer and the CNN take half); the margin is for a busy machine

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
    await finished(page, 150_000);
    const state: PeersState = await page.evaluate(() => structuredClone(window.__bench));
    expect(state.error).toBeNull();
    expect(state.status).toBe('done');
    for (const [workload, size] of [...STEPS, ['conv fwd+bwd', CONV_SIZE]]) {
      expect(find(state.rows, workload, 'chainrule', size)!['median ms']).toBeGreaterThan(0);
      expect(find(state.rows, workload, 'jax-js', size)!.note).toMatch(/^failed: .*no WebGPU device/);
      expect(find(state.rows, workload, 'TF.js', size)!.note).toMatch(/^failed: .*WebGPU backend/);
    }
    expect(find(state.rows, 'matmul', 'chainrule', '256×256')!['GFLOP/s']).toBeGreaterThan(0);
    expect(find(state.rows, 'matmul', 'TF.js', '256×256')!.note).toMatch(/^failed: .*WebGPU backend/);
    // Only chainrule's kernels: the peers never ran.
    expect(state.kernels?.map((k) => k.library)).toEqual(STEPS.map(() => 'chainrule'));
    expect(await page.$eval('#peer-errors', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#peer-errors', (e) => e.textContent ?? '')).toMatch(/jax-js.*\n.*TF\.js/s);
    expect(errors).toEqual([]); // TF.js says why in a console warning, not an error
    await page.close();
  }, 180_000);
});
