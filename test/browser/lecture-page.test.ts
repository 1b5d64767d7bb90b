// The lecture page (demo/lecture.html) in headless Chromium: the lecture's worked examples as graphs,
// analytic gradients beside central differences, and the backward pass stepped gate by gate.
// The page exposes its state as window.__lecture.
import { mkdir } from 'node:fs/promises';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LectureState } from '../../demo/lecture.ts';
import { collectConsoleErrors } from '../browser.ts';
import { servedPages } from '../pages-fixture.ts';

const screenshots = new URL('../screenshots/', import.meta.url);
const pages = servedPages();
beforeAll(() => mkdir(screenshots, { recursive: true }));

const lecture = (page: Page): Promise<LectureState> => page.evaluate(() => structuredClone(window.__lecture));

async function ready(page: Page, example: string): Promise<LectureState> {
  await page.waitForFunction(
    (name) => window.__lecture?.example === name && ['ready', 'error'].includes(window.__lecture.status),
    { timeout: 20_000 },
    example,
  );
  const state = await lecture(page);
  expect(state.error, 'the page shows an error').toBeNull();
  return state;
}

function expectClose(actual: Record<string, number>, expected: Record<string, number>, tolerance: number): void {
  for (const [name, value] of Object.entries(expected)) {
    expect(Math.abs(actual[name] - value), `${name}: ${actual[name]} vs ${value}`).toBeLessThan(tolerance);
  }
}

describe('the lecture page in headless Chrome', () => {
  it('shows the worked examples, steps the backward pass, and checks gradients numerically', async () => {
    const page = await pages.browser.newPage();
    await page.setViewport({ width: 1100, height: 1000 });
    const errors = collectConsoleErrors(page);
    await page.goto(`${pages.url}/demo/lecture.html`);

    // (a) f = (x + y) z at x = -2, y = 5, z = -4.
    let state = await ready(page, 'add-mul');
    expect(state.device === 'webgpu' || state.device === 'cpu').toBe(true);
    expect(await page.$eval('#adapter', (e) => e.textContent ?? '')).toMatch(/^Runs on (WebGPU|the CPU)/);
    expect(state.nodes).toBe(5);
    expect(state.value).toBeCloseTo(-12, 5);
    expectClose(state.analytic, { x: -4, y: -4, z: 3 }, 1e-5);
    expectClose(state.numerical, state.analytic, 1e-2);
    expect(await page.$$eval('#graph svg [data-node]', (boxes) => boxes.length)).toBe(5);
    expect(await page.$$eval('#grads tr[data-input]', (rows) => rows.length)).toBe(3);

    // Step backward: mul first (the output), then z, then add; the current gate is outlined in red.
    await page.click('#step');
    state = await lecture(page);
    expect(state.step?.text).toMatch(/^gate mul/);
    expect(state.step?.text).toContain('local -4 × upstream 1 = -4'); // d f / d (x + y) = z
    await page.click('#step');
    await page.click('#step');
    state = await lecture(page);
    expect(state.step?.text).toMatch(/^gate add/);
    expect(state.step?.text).toContain('local 1 × upstream -4 = -4');
    expect(await page.$$eval('#graph svg rect[stroke="red"]', (r) => r.length)).toBe(1);
    expect(await page.$eval('#graph svg rect[stroke="red"]', (r) => r.parentElement!.getAttribute('data-node'))).toBe(String(state.step!.node));
    await page.screenshot({ path: new URL('lecture-add-mul.png', screenshots).pathname, fullPage: true });

    // Editing an input rebuilds the graph: x = -3 gives x + y = 2, so df/dz = 2.
    await page.$eval('input[name=x]', (e) => {
      (e as HTMLInputElement).value = '-3';
      e.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForFunction(() => window.__lecture.status === 'ready' && Math.abs(window.__lecture.analytic.z - 2) < 1e-6, { timeout: 10_000 });
    expect((await lecture(page)).step).toBeNull();

    // (b) the sigmoid neuron with w = [2, -3, -3], x = [-1, -2].
    await page.select('#example', 'sigmoid');
    state = await ready(page, 'sigmoid');
    expect(state.value).toBeCloseTo(0.7311, 3);
    expectClose(state.analytic, { w0: -0.2, w1: -0.39, w2: 0.2, x0: 0.39, x1: -0.59 }, 1e-2);
    expectClose(state.numerical, state.analytic, 1e-2);
    await page.click('#step');
    expect((await lecture(page)).step?.text).toMatch(/^gate reciprocal/);
    await page.click('#step');
    expect((await lecture(page)).step?.text).toMatch(/^gate add/);
    expect(await page.$$eval('#graph svg rect[stroke="red"]', (r) => r.length)).toBe(1);
    await page.screenshot({ path: new URL('lecture-sigmoid.png', screenshots).pathname, fullPage: true });

    // (c) the staged SVM loss for scores [3.2, 5.1, -1.7] and class 0: 2.9, as cr.svmLoss says.
    await page.select('#example', 'svm');
    state = await ready(page, 'svm');
    expect(state.value).toBeCloseTo(2.9, 4);
    expectClose(state.analytic, { s0: -1, s1: 1, s2: 0 }, 1e-5);
    expectClose(state.numerical, state.analytic, 1e-2);
    expect(await page.$eval('#check', (e) => e.textContent ?? '')).toMatch(/cr\.svmLoss\(scores, \[0\]\) = 2\.9/);
    await page.screenshot({ path: new URL('lecture-svm.png', screenshots).pathname, fullPage: true });

    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
