// The training page (demo/) in headless Chromium on WebGPU: the spiral trains and draws its curves
// and decision regions, Stop stops mid-run, MNIST trains on a subset (an MLP, then the CNN) and classifies a drawn digit,
// and without WebGPU the page says so and trains on the CPU. The page exposes its state as window.__demo.
import { mkdir } from 'node:fs/promises';
import type { Page } from 'puppeteer';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DemoState } from '../../demo/state.ts';
import { chromeArgs, collectConsoleErrors } from '../browser.ts';
import { servedPages } from '../pages-fixture.ts';

const screenshots = new URL('../screenshots/', import.meta.url);

const pages = servedPages();
beforeAll(() => mkdir(screenshots, { recursive: true }));

/** Opens the page (optionally as a browser without WebGPU) and waits until it has chosen its device. */
async function openPage(options: { hideWebGpu?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await pages.browser.newPage();
  await page.setViewport({ width: 1100, height: 1000 });
  const errors = collectConsoleErrors(page);
  if (options.hideWebGpu) {
    await page.evaluateOnNewDocument(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
  }
  await page.goto(`${pages.url}/demo/`);
  await page.waitForFunction(() => window.__demo?.phase === 'idle' || window.__demo?.phase === 'error', { timeout: 20_000 });
  return { page, errors };
}

const demo = (page: Page): Promise<DemoState> => page.evaluate(() => structuredClone(window.__demo));
const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');

async function setField(page: Page, name: string, value: string): Promise<void> {
  const tag = await page.$eval(`[name=${name}]`, (e) => e.tagName);
  if (tag === 'SELECT') await page.select(`select[name=${name}]`, value);
  else await page.$eval(`input[name=${name}]`, (e, v) => ((e as HTMLInputElement).value = v), value);
}

/** Presses Train and waits for the run to end; fails with the page's error if it shows one. */
async function trainToEnd(page: Page, timeout: number): Promise<DemoState> {
  await page.click('#train');
  await page.waitForFunction(() => ['done', 'stopped', 'error'].includes(window.__demo.phase), { timeout });
  const state = await demo(page);
  expect(state.error, 'the page shows an error').toBeNull();
  return state;
}

async function expectWebGpu(page: Page): Promise<void> {
  const state = await demo(page);
  if (state.device !== 'webgpu') {
    throw new Error(
      `WebGPU is missing: the page fell back to the CPU (${state.fallbackReason ?? 'no reason given'}). ` +
        `Headless Chromium needs the flags ${chromeArgs.filter((a) => /webgpu|vulkan/i.test(a)).join(' ')}, a secure context ` +
        `(http://127.0.0.1) and a Vulkan driver (SwiftShader ships with Debian's chromium: apt-get install -y chromium).`,
    );
  }
  expect(await text(page, '#adapter')).toMatch(/^WebGPU: /);
}

/** Draws a "7" (one stroke across the top and down, in pointer events from the mouse) and checks the model's 10 probabilities. */
async function drawSeven(page: Page): Promise<void> {
  const box = (await (await page.$('#pad'))!.boundingBox())!;
  const at = (x: number, y: number) => [box.x + box.width * x, box.y + box.height * y] as const;
  await page.mouse.move(...at(0.3, 0.2));
  await page.mouse.down();
  await page.mouse.move(...at(0.7, 0.2), { steps: 8 });
  await page.mouse.move(...at(0.45, 0.85), { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => window.__demo.probabilities !== null, { timeout: 10_000 });
  const probs = (await demo(page)).probabilities!;
  expect(probs).toHaveLength(10);
  expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  expect(probs.every((p) => p >= 0 && p <= 1)).toBe(true);
  expect(await page.$$eval('#bars .bar', (bars) => bars.length)).toBe(10);
  expect(await text(page, '#prediction')).toMatch(/^The model says: \d$/);
}

/** Pixels of a canvas close to a colour (the loss curve, a region's fill). */
function countColour(page: Page, selector: string, rgb: [number, number, number], tolerance = 40): Promise<number> {
  return page.$eval(
    selector,
    (canvas, [r, g, b], tol) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < tol) n++;
      return n;
    },
    rgb,
    tolerance,
  );
}

describe('the training page in headless Chrome', () => {
  it('trains the spiral on WebGPU, draws the curves and decision regions, and Stop stops mid-run', async () => {
    const { page, errors } = await openPage();
    await expectWebGpu(page);
    expect(await text(page, '#notice')).toBe('');

    // Defaults for the spiral: MLP 2-100-3, SGD lr 1 momentum 0.9, batch 300 (the whole set), 300 epochs.
    const done = await trainToEnd(page, 45_000);
    expect(done.phase).toBe('done');
    expect(done.steps).toBe(300);
    const [first, last] = [done.reports[0], done.reports.at(-1)!];
    expect(done.reports.length).toBeGreaterThan(20);
    expect(last.loss, `loss ${first.loss} -> ${last.loss}`).toBeLessThan(first.loss / 2);
    expect(last.accuracy).toBeGreaterThan(0.9);
    expect(await text(page, '#stats')).toMatch(/steps\/s/);

    expect(await countColour(page, '#chart', [37, 99, 235]), 'loss curve pixels').toBeGreaterThan(100);
    expect(done.regionsDrawn).toBeGreaterThan(0);
    // Each class's region colour covers a good part of the 400x400 canvas.
    for (const rgb of [
      [191, 219, 254],
      [254, 202, 202],
      [187, 247, 208],
    ] as [number, number, number][]) {
      expect(await countColour(page, '#regions', rgb, 12), `region colour ${rgb}`).toBeGreaterThan(10_000);
    }
    await page.screenshot({ path: new URL('train-page.png', screenshots).pathname, fullPage: true });

    // Train again and Stop shortly after: the run ends mid-way and no step follows.
    await page.click('#train');
    await page.waitForFunction(() => window.__demo.phase === 'training' && window.__demo.steps >= 20, { timeout: 20_000 });
    const clicked = Date.now();
    await page.click('#stop');
    await page.waitForFunction(() => window.__demo.phase === 'stopped', { timeout: 5_000 });
    const stopped = await demo(page);
    expect(Date.now() - clicked).toBeLessThan(3_000);
    expect(stopped.steps).toBeGreaterThanOrEqual(20);
    expect(stopped.steps).toBeLessThan(stopped.totalSteps);
    await new Promise((r) => setTimeout(r, 600));
    const later = await demo(page);
    expect(later.steps).toBe(stopped.steps);
    expect(later.reports.length).toBe(stopped.reports.length);
    expect(await text(page, '#phase')).toMatch(/^Stopped after \d+ steps/);
    expect(await page.$eval('#train', (b) => (b as HTMLButtonElement).disabled)).toBe(false);

    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('trains MNIST on a subset and classifies a digit drawn with the mouse', async () => {
    const { page, errors } = await openPage();
    await expectWebGpu(page);
    await setField(page, 'dataset', 'mnist');
    await setField(page, 'subset', '2000');
    await setField(page, 'batch', '32'); // 63 steps in the one epoch: enough for > 80% on the test set
    await setField(page, 'epochs', '1');
    const done = await trainToEnd(page, 45_000);
    expect(done.phase).toBe('done');
    expect(done.dataset).toBe('mnist');
    expect(done.testAccuracy).toHaveLength(1);
    expect(done.testAccuracy[0].accuracy).toBeGreaterThan(0.8);
    expect(await text(page, '#test-accuracy')).toMatch(/^Test accuracy after epoch 1: \d+\.\d+%/);

    await drawSeven(page);
    await page.screenshot({ path: new URL('train-page-mnist.png', screenshots).pathname, fullPage: true });

    await page.click('#clear');
    await page.waitForFunction(() => window.__demo.probabilities === null, { timeout: 5_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('trains the CNN with its recipe (Adam 0.003 on a cosine, set by choosing it) and classifies a drawn digit', async () => {
    const { page, errors } = await openPage();
    await expectWebGpu(page);
    await setField(page, 'dataset', 'mnist');
    await setField(page, 'model', 'cnn');
    const value = (name: string) => page.$eval(`[name=${name}]`, (e) => (e as HTMLInputElement).value);
    const form = Object.fromEntries(await Promise.all(['optimizer', 'lr', 'schedule', 'batch', 'hidden'].map(async (n) => [n, await value(n)])));
    expect(form).toMatchObject({ optimizer: 'adam', lr: '0.003', schedule: 'cosine', batch: '64', hidden: '128' });
    await setField(page, 'subset', '1280'); // 20 steps
    await setField(page, 'epochs', '1');
    const done = await trainToEnd(page, 90_000);
    expect(done.phase).toBe('done');
    expect(done.testAccuracy).toHaveLength(1);
    expect(done.testAccuracy[0].accuracy).toBeGreaterThan(0.6);
    await drawSeven(page);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('shows the model graph: a layer expands on a click, a node shows histograms of its value and gradient', async () => {
    const { page, errors } = await openPage();
    // The panel refreshes only while on screen: a viewport tall enough to show it under the controls.
    await page.setViewport({ width: 1100, height: 1500 });
    await setField(page, 'epochs', '20'); // 20 steps of the whole spiral, a report at each
    const done = await trainToEnd(page, 45_000); // the first graph compiles its kernels: seconds on SwiftShader
    expect(done.steps).toBe(20);
    // Collapsed: the MLP's layers are boxes (data-scope), its inputs and parameters are nodes.
    const scopes = await page.$$eval('#graph svg [data-scope]', (boxes) => boxes.map((b) => b.getAttribute('data-scope')));
    expect(scopes).toEqual(['0.Linear', '1.ReLU', '2.Linear']);
    expect(await page.$$eval('#graph svg [data-node]', (boxes) => boxes.length)).toBeGreaterThan(3);
    expect(await page.$$eval('#graph svg text.grad', (t) => t.length), 'gradients on the edges').toBeGreaterThan(0);

    // Expanding the ReLU layer shows its relu node; clicking it shows the histograms.
    await page.click('#graph svg [data-scope="1.ReLU"]');
    await page.waitForSelector('#graph svg [data-node]');
    const relu = await page.$$eval('#graph svg [data-node]', (boxes) => boxes.find((b) => b.textContent?.startsWith('relu'))?.getAttribute('data-node'));
    expect(relu, 'a relu node once its layer is expanded').toBeTruthy();
    expect(await page.$('#graph svg [data-scope="1.ReLU"]')).toBeNull();
    await page.click(`#graph svg [data-node="${relu}"]`);
    await page.waitForSelector('#histograms', { visible: true, timeout: 5_000 });
    expect(await page.$$eval('#histograms figure svg rect', (bars) => bars.length)).toBe(40); // 20 bins each, value and gradient
    expect(await text(page, '#histograms')).toMatch(/value: \d+ numbers, .*% zeros/);
    expect(await text(page, '#node-detail .trend')).toMatch(/^Steps \d+ → 20 \(\d+ reports\)/);
    expect(await page.$$eval('#graph svg rect[stroke="red"]', (r) => r.length)).toBe(1);
    await page.$eval('#graph-panel', (e) => e.scrollIntoView());
    await page.screenshot({ path: new URL('train-page-graph.png', screenshots).pathname, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('says so when the browser has no WebGPU, and trains on the CPU', async () => {
    const { page, errors } = await openPage({ hideWebGpu: true });
    const state = await demo(page);
    expect(state.device).toBe('cpu');
    expect(await text(page, '#notice')).toMatch(/no WebGPU/);
    expect(await page.$eval('#notice', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await text(page, '#adapter')).toMatch(/^CPU: /);
    await page.screenshot({ path: new URL('train-page-cpu.png', screenshots).pathname });
    const done = await trainToEnd(page, 30_000);
    expect(done.phase).toBe('done');
    expect(done.device).toBe('cpu');
    expect(done.steps).toBe(300);
    expect(done.reports.at(-1)!.loss).toBeLessThan(done.reports[0].loss / 2);

    // The CPU computes synchronously: Stop must still get through (the page yields at every report).
    await page.click('#train');
    await page.waitForFunction(() => window.__demo.phase === 'training' && window.__demo.steps >= 20, { timeout: 20_000 });
    await page.click('#stop');
    await page.waitForFunction(() => window.__demo.phase === 'stopped', { timeout: 5_000 });
    expect((await demo(page)).steps).toBeLessThan(300);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
