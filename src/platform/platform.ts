/**
 * What differs between a browser and Node: where WebGPU comes from and how files are read. The
 * package entry picks one (package.json `exports`): `chainrule` in a browser bundle is index.ts with
 * the web platform below; under Node the `node` condition loads node.ts, which installs Node's.
 */
import { DeviceError, fail, OpError } from '../errors.ts';

/** An adapter and the object that gave it, which must stay referenced while its device is used. */
export interface AdapterSource {
  readonly adapter: GPUAdapter;
  /** navigator.gpu, or Dawn's instance in Node (Dawn frees it, device and all, once it is collected). */
  readonly instance: object;
}

export interface Platform {
  readonly name: 'web' | 'node';
  /** Finds a WebGPU adapter; throws a DeviceError whose message says why there is none. */
  requestAdapter(): Promise<AdapterSource>;
  /** One MNIST IDX file: fetched from `url` (default ./mnist) on the web, read from disk in Node. */
  mnistFile(name: string, url: string | undefined): Promise<Uint8Array>;
}

/** The standard web: navigator.gpu and fetch (browsers, workers, and any runtime that has both). */
export const web: Platform = {
  name: 'web',
  async requestAdapter() {
    const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
    if (!gpu) {
      throw new DeviceError(
        'init: this browser has no WebGPU (navigator.gpu is missing). It needs a secure context (https or http://127.0.0.1) ' +
          'and, in headless Chromium, --enable-unsafe-webgpu --enable-features=Vulkan',
      );
    }
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new DeviceError('init: no WebGPU adapter: the browser has WebGPU, but it offered no adapter (GPU blocklisted or disabled?)');
    return { adapter, instance: gpu };
  },
  async mnistFile(name, url = './mnist') {
    const where = `${url.replace(/\/+$/, '')}/${name}`;
    let response: Response;
    try {
      response = await fetch(where);
    } catch (e) {
      throw new OpError('mnist', `cannot fetch ${where}: ${(e as Error).message}`);
    }
    if (!response.ok) fail('mnist', `cannot fetch ${where}: HTTP ${response.status} ${response.statusText}`.trimEnd());
    return new Uint8Array(await response.arrayBuffer());
  },
};

let current: Platform = web;

/** The platform in use: the web's unless an entry point installed another. */
export function platform(): Platform {
  return current;
}

/** Installs a platform; called once by an entry point (node.ts), before any user code runs. */
export function usePlatform(p: Platform): void {
  current = p;
}
