// Shared helpers for the headless-Chrome tests: build the pages (vite.pages.config.ts), serve them
// with `vite preview` on 127.0.0.1 (a secure context, which navigator.gpu needs), and launch Chromium
// with WebGPU enabled (SwiftShader, Chrome's CPU implementation, when there is no GPU).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { build, preview } from 'vite';
import { chromePath } from './system-deps.ts';

const configFile = fileURLToPath(new URL('../vite.pages.config.ts', import.meta.url));

/** The flags headless Chromium needs for WebGPU without a GPU (SwiftShader through Vulkan). */
export const chromeArgs: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Builds the pages into a fresh temporary directory (not dist-pages, so test files building at the
 * same time cannot delete each other's output) and returns it; remove it with removePages().
 */
export async function buildPages(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'chainrule-pages-'));
  await build({ configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export async function removePages(outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
}

/** Serves built pages (default: dist-pages) with `vite preview` on 127.0.0.1 at a free port. */
export async function servePages(outDir?: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await preview({
    configFile,
    logLevel: 'warn',
    ...(outDir ? { build: { outDir } } : {}),
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  });
  const { port } = server.httpServer.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Headless Chromium with WebGPU enabled; CHROME_PATH overrides /usr/bin/chromium. */
export async function launchChrome(): Promise<Browser> {
  const executablePath = chromePath();
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Chromium (apt-get install -y chromium) or set CHROME_PATH to a Chrome or Chromium binary`);
  }
  // A copy: puppeteer takes --enable-features out of the array it is given, to merge it with its own.
  return puppeteer.launch({ executablePath, headless: true, args: [...chromeArgs] });
}

/** Records console errors and uncaught page errors, as readable lines, into the returned array. */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location();
    errors.push(`console.error: ${message.text()}${where.url ? ` (${where.url}:${where.lineNumber ?? '?'})` : ''}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));
  return errors;
}
