import { describe, expect, it } from 'vitest';
import { registry, updates } from '../../src/ops/registry.ts';
import { SPANS } from '../../src/ops/update.ts';
import { collectConsoleErrors } from '../browser.ts';
import { formatSpecial, specialCount } from '../helpers.ts';
import { registryRuns } from '../gpu-checks.ts';
import { servedPages } from '../pages-fixture.ts';

// The registry suite (every forward, VJP and update kernel against the CPU reference, and the IEEE
// special-value tables against PyTorch; each kernel variant forced on) inside headless Chrome's WebGPU, not only in Node's Dawn. No
// adapter fails the run with the page's reason.

const pages = servedPages();

describe('the registry suite in headless Chrome', () => {
  it('every kernel matches the CPU reference on the browser WebGPU', async () => {
    const page = await pages.browser.newPage();
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/test/gpu-suite/`);
    // Every case alone and fused: about 2 minutes on 2 cores. Polled: one waitForFunction that long
    // would outlast puppeteer's protocol timeout (180 s).
    const deadline = Date.now() + 300_000;
    while ((await page.evaluate(() => window.__suite?.status ?? 'running')) === 'running') {
      if (Date.now() > deadline) throw new Error('the registry suite page did not finish within 300 s');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const suite = await page.evaluate(() => window.__suite);
    expect(
      suite.error,
      "the page failed: without WebGPU, Chromium needs --enable-unsafe-webgpu --enable-features=Vulkan and a Vulkan driver (SwiftShader ships with Debian's chromium)",
    ).toBeNull();
    expect(suite.adapter).toMatch(/\S/);
    const runs = registryRuns(registry); // an op with kernel variants runs once per variant; one that fusion changes, fused and unfused
    expect(runs.filter((r) => r.spec.name === 'matmul').map((r) => r.label)).toEqual(['matmul (blocked)', 'matmul (tiled)']);
    const expected =
      runs.reduce(
        (n, { spec, init }) =>
          // each case alone, and the first fused with neighbours
          n + (spec.test.cases.length + (init.fuse ? 1 : 0)) * (1 + spec.inputs.filter((i) => i.differentiable && i.dtype !== 'int32').length),
        0,
      ) + // alone, and fused with neighbours
      updates.reduce((n, spec) => n + SPANS.names.length * spec.test.hypers.length * (1 + spec.state.length), 0); // each update per variant
    expect(suite.results.length).toBe(expected);
    const failures = suite.results.filter((r) => !r.ok).map((r) => `${r.kernel} on ${r.case}: error ${r.error}${r.shapeOk ? '' : ', wrong shape'}`);
    expect(failures).toEqual([]);
    // IEEE special values against PyTorch's tables (spec.test.special), every element of every case
    expect(suite.special.checked).toBe(runs.reduce((n, { spec }) => n + (spec.test.special ?? []).reduce((m, c) => m + specialCount(spec, c), 0), 0));
    expect(suite.special.failures.length, `special values differ from PyTorch:${formatSpecial(suite.special.failures)}`).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 360_000);
});
