import { DeviceError } from '../../errors.ts';

// WebGPU constants, numeric so that Node does not need Dawn's globals installed.
export const BufferUsage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MapRead = 0x1;
export const ComputeStage = 0x4;

// SwiftShader's Vulkan driver, shipped by Debian's chromium package: Dawn in Node uses it when no
// real GPU driver gives an adapter (see shared/DESIGN.md).
const swiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The browser's navigator.gpu, or in Node the `webgpu` package (Dawn). */
async function gpuEntryPoints(): Promise<Array<() => GPU>> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return [() => navigator.gpu];
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) return [];
  let dawn: { create(flags: string[]): GPU };
  try {
    const name = 'webgpu'; // a variable, so that bundlers for the browser leave this import alone
    dawn = await import(/* @vite-ignore */ name);
  } catch {
    throw new DeviceError("init: WebGPU in Node needs the npm package 'webgpu' (Dawn): npm install webgpu");
  }
  const fallback = async () => {
    const nodeFs = 'node:fs'; // a variable, as above
    const { existsSync } = await import(/* @vite-ignore */ nodeFs);
    if (process.env.VK_ICD_FILENAMES || !existsSync(swiftshaderIcd)) return undefined;
    process.env.VK_ICD_FILENAMES = swiftshaderIcd; // read by the Vulkan loader when Dawn starts
    return () => dawn.create([]);
  };
  const withFallback = await fallback();
  return [() => dawn.create([]), ...(withFallback ? [withFallback] : [])];
}

// NOTE: Dawn in Node frees its instance when the GPU object is collected, while its event loop still
// polls it (a crash in InstanceBase::ProcessEvents): keep the instance that gave the adapter alive.
export let instance: GPU | null = null;

/** Finds an adapter (trying SwiftShader last in Node); throws a DeviceError saying why there is none. */
export async function requestAdapter(): Promise<GPUAdapter> {
  const entries = await gpuEntryPoints();
  if (entries.length === 0) {
    throw new DeviceError(
      'init: this browser has no WebGPU (navigator.gpu is missing). It needs a secure context (https or http://127.0.0.1) ' +
        'and, in headless Chromium, --enable-unsafe-webgpu --enable-features=Vulkan',
    );
  }
  for (const entry of entries) {
    const gpu = entry();
    const adapter = await gpu.requestAdapter();
    if (adapter) {
      instance = gpu;
      return adapter;
    }
  }
  throw new DeviceError(
    'init: no WebGPU adapter: no GPU driver answered' +
      (typeof navigator === 'undefined' ? ' (in Node: install libvulkan1 and a Vulkan driver, or Debian\'s chromium for SwiftShader)' : ''),
  );
}
