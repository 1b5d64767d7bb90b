// One test file's pages in headless Chrome: built and served before its tests, closed after.
import type { Browser, Page } from 'puppeteer';
import { afterAll, beforeAll, expect } from 'vitest';
import type { BenchState } from '../bench/pages/common.ts';
import { buildPages, launchChrome, removePages, servePages } from './browser.ts';

/** Registers beforeAll/afterAll that build and serve the pages and launch Chromium. */
export function servedPages(): { readonly url: string; readonly browser: Browser } {
  let outDir: string | undefined;
  let server: Awaited<ReturnType<typeof servePages>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    outDir = await buildPages();
    server = await servePages(outDir);
    browser = await launchChrome();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) await removePages(outDir);
  });
  return {
    get url() {
      return server!.url;
    },
    get browser() {
      return browser!;
    },
  };
}

/** A benchmark page's header: its name, a WebGPU adapter (shown on the page), and the method. */
export async function expectWebGpuHeader(page: Page, state: BenchState, name: string): Promise<void> {
  expect(state.env?.page).toBe(name);
  expect(state.env?.adapter, 'a WebGPU adapter in the header').toBeTruthy();
  expect(state.env?.adapter).not.toMatch(/CPU reference/);
  expect(await page.$eval('#env', (e) => e.textContent ?? '')).toContain(state.env!.adapter);
  expect(state.env?.methodology).toMatch(/warm-up/);
}

/** Waits for a benchmark page to finish and returns window.__bench; the page's own error if it failed. */
export async function benchResult(page: Page, timeout = 90_000): Promise<BenchState> {
  await page.waitForFunction(() => window.__bench?.status !== 'running', { timeout, polling: 500 });
  const state: BenchState = await page.evaluate(() => structuredClone(window.__bench));
  if (state.status === 'error') throw new Error(`the page failed: ${state.error}`);
  return state;
}
