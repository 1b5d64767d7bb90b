/** The device: init() picks WebGPU or the CPU reference, dispose() releases it; which backend computes what. */
import type { Backend } from './backend/backend.ts';
import { cpu } from './backend/cpu.ts';
import type { DType } from './dtype.ts';
import { DeviceError } from './errors.ts';
import { WebGpuBackend } from './backend/webgpu.ts';
import { platform } from './platform/platform.ts';
import { registry, updates } from './ops/registry.ts';
import { SPANS } from './ops/update.ts';
import type { Tuned } from './backend/webgpu/autotune.ts';

export type { Tuned };

export { DeviceError };

export type DeviceName = 'webgpu' | 'cpu';

export interface InitOptions {
  /** 'webgpu' | 'cpu'; omitted = WebGPU when an adapter exists, else the CPU reference. */
  device?: DeviceName;
  /** Check every node against the CPU reference (slow; for hunting a wrong kernel). */
  verify?: boolean;
  /** Print nothing when falling back to the CPU. */
  quiet?: boolean;
  /**
   * The numerics guard: the first op whose output (forward or VJP) holds a NaN or an infinity
   * throws a NumericsError naming it (on a GPU, at the next read: a flag, not a readback per op).
   */
  checkNumerics?: boolean;
  /**
   * GPU bytes the buffer pool keeps idle for reuse; beyond it, the buffers idle longest are released.
   * Default: max(64 MiB, the bytes live tensors hold).
   */
  maxPoolBytes?: number;
  /**
   * Kernels with variants (matmul: 'blocked' for CPUs, 'tiled' for GPUs) are timed on this device at
   * the first use of each shape class, and the fastest runs from then on (cr.tuning() lists the
   * choices). Default true; false runs the adapter's default variant, the same every run.
   */
  autotune?: boolean;
  /**
   * Forces a variant per kernel, e.g. { matmul: 'tiled' } or { sgd: '64' } (elements per invocation of
   * an optimizer update), for comparison and debugging; overrides autotune.
   */
  variants?: Record<string, string>;
  /**
   * Fusion (default true): kernels that only copy (a reshape, add's gradient) become views of their
   * input. false runs every op's own kernels, one per node, for comparison and debugging.
   */
  fuse?: boolean;
}

export interface DeviceInfo {
  device: DeviceName;
  /** Adapter vendor and architecture ('swiftshader' for Chrome's CPU implementation of WebGPU). */
  vendor: string;
  architecture: string;
  description: string;
  /** True for software adapters (SwiftShader, or an adapter marked as fallback). */
  software: boolean;
  /** Whether the numerics guard is on (init's checkNumerics). */
  checkNumerics: boolean;
  /** Whether plans fuse (init's fuse). */
  fuse: boolean;
  /** Limits that decide what fits: largest storage binding, workgroups per dimension. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxBufferSize: number;
    /** Storage buffers one kernel binds: fused optimizer updates bind several parameters' each. */
    maxStorageBuffersPerShaderStage: number;
  };
  verify: boolean;
  /** Why the CPU reference computes ('' on WebGPU): no adapter and what was missing, asked for, or init() not called yet. */
  reason: string;
}

let backend: Backend = cpu;
let verifying = false;
let fusing = true;
let numerics = false;
let info: DeviceInfo = cpuInfo('init() has not been called');

/**
 * Chooses the device. Without an argument: WebGPU if an adapter exists, else the CPU reference (said
 * once on the console). `{ device: 'webgpu' }` without an adapter throws a DeviceError saying why.
 * Until init is called, chainrule computes on the CPU reference. Tensors made before init stay
 * where they were made and are copied to the new device when an op needs them there.
 */
export async function init(options: InitOptions = {}): Promise<DeviceInfo> {
  const wanted = options.device;
  if (wanted !== undefined && wanted !== 'webgpu' && wanted !== 'cpu') {
    throw new DeviceError(`init: unknown device '${String(wanted)}' (expected 'webgpu' or 'cpu')`);
  }
  if (options.maxPoolBytes !== undefined && !(Number.isFinite(options.maxPoolBytes) && options.maxPoolBytes >= 0)) {
    throw new DeviceError(`init: maxPoolBytes must be a number of bytes >= 0, got ${String(options.maxPoolBytes)}`);
  }
  const forced = checkVariants(options.variants ?? {});
  dispose();
  verifying = options.verify ?? false;
  fusing = options.fuse ?? true;
  numerics = options.checkNumerics ?? false;
  if (wanted === 'cpu') return (info = cpuInfo("init({ device: 'cpu' }) asked for it"));
  try {
    const { adapter, instance } = await platform().requestAdapter();
    // timestamp-query where the adapter has it: the profiler times kernels with it (it costs nothing unused).
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredLimits: requiredLimits(adapter), requiredFeatures });
    const a = adapter.info;
    const software = a.architecture === 'swiftshader' || (a as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    backend = new WebGpuBackend(device, adapter.info, instance, options.maxPoolBytes, { autotune: options.autotune ?? true, forced, software });
    info = {
      device: 'webgpu',
      vendor: a.vendor,
      architecture: a.architecture,
      description: [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'WebGPU adapter',
      software,
      limits: {
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
        maxBufferSize: device.limits.maxBufferSize,
      },
      verify: verifying,
      checkNumerics: numerics,
      fuse: fusing,
      reason: '',
    };
    return info;
  } catch (e) {
    if (wanted === 'webgpu') throw e;
    const reason = (e as Error).message.replace(/^init: /, '');
    if (!options.quiet) console.warn(`chainrule: computing on the CPU reference: ${reason}`);
    return (info = cpuInfo(reason));
  }
}

/** The forced variants, checked against the kernels that have them: ops' (matmul) and the optimizer updates'. */
function checkVariants(variants: Record<string, string>): Record<string, string> {
  const all = new Map<string, readonly string[]>([
    ...registry.filter((s) => s.gpu.variants).map((s): [string, readonly string[]] => [s.name, s.gpu.variants!.names]),
    ...updates.map((u): [string, readonly string[]] => [u.name, SPANS.names]),
  ]);
  for (const [op, variant] of Object.entries(variants)) {
    const names = all.get(op);
    const have = [...all].map(([name, v]) => `${name} (${v.join(', ')})`);
    if (!names) throw new DeviceError(`init: variants: ${op} has no kernel variants; kernels with variants: ${have.join('; ')}`);
    if (!names.includes(variant)) throw new DeviceError(`init: variants: ${op} has no variant '${variant}' (it has ${names.join(', ')})`);
  }
  return { ...variants };
}

/**
 * The kernel variants chosen on the current WebGPU adapter so far, per kernel and shape class, with
 * what each variant took where they were measured; empty on the CPU reference.
 */
export function tuning(): Tuned[] {
  return backend instanceof WebGpuBackend ? backend.tuning() : [];
}

/** A kernel the fusion pass generated: the ops it runs (a VJP marked '), and its WGSL. */
export interface FusedKernel {
  /** As profiles name it: fused:matmul+add+relu, fused:sgdx4. */
  readonly kernel: string;
  readonly ops: readonly string[];
  readonly wgsl: string;
}

/**
 * The kernels fusion generated on the current WebGPU device so far (each once, however often it
 * ran), with their ops and code; empty on the CPU reference, which never fuses.
 */
export function fusedKernels(): FusedKernel[] {
  if (!(backend instanceof WebGpuBackend)) return [];
  return backend.kernels.generatedSources().map(({ name, source }) => ({ kernel: `fused:${name}`, ops: name.split('+'), wgsl: source.code }));
}

/** Asks for the adapter's largest storage binding and buffer (big tensors fit where the hardware allows), and its most bindings per kernel. */
function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  return {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: adapter.limits.maxComputeWorkgroupsPerDimension,
    // Fused optimizer updates bind several parameters' buffers in one dispatch.
    maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    maxUniformBuffersPerShaderStage: adapter.limits.maxUniformBuffersPerShaderStage,
  };
}

/** Releases the GPU device (Dawn in Node keeps polling while one is alive) and returns to the CPU. */
export function dispose(): void {
  const old = backend as Backend & { destroy?: () => void };
  backend = cpu;
  if (info.device === 'webgpu') info = cpuInfo('cr.dispose() released the device');
  old.destroy?.();
}

export function currentBackend(): Backend {
  return backend;
}

/** Where values of a dtype live and compute: float64 on the CPU reference only, the rest on the device. */
export function backendFor(dtype: DType): Backend {
  return dtype === 'float64' ? cpu : backend;
}

/** Whether plans fuse (init's fuse). */
export function isFusing(): boolean {
  return fusing;
}

export function isVerifying(): boolean {
  return verifying;
}

/** Whether plans run the numerics guard (init's checkNumerics). */
export function checksNumerics(): boolean {
  return numerics;
}

/** What computes: the adapter and its limits, or the CPU reference. */
export function deviceInfo(): DeviceInfo {
  return { ...info, limits: { ...info.limits } };
}

function cpuInfo(reason: string): DeviceInfo {
  return {
    device: 'cpu',
    vendor: '',
    architecture: '',
    description: 'CPU reference (typed arrays in JavaScript)',
    software: true,
    limits: {
      maxStorageBufferBindingSize: Infinity,
      maxComputeWorkgroupsPerDimension: Infinity,
      maxBufferSize: Infinity,
      maxStorageBuffersPerShaderStage: Infinity,
    },
    verify: verifying,
    checkNumerics: numerics,
    fuse: fusing,
    reason,
  };
}
