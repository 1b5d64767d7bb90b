import { ChainruleError } from './errors.ts';
import type { Backend } from './backend/backend.ts';
import { cpu } from './backend/cpu.ts';

export type DeviceName = 'webgpu' | 'cpu';

export interface InitOptions {
  /** 'webgpu' | 'cpu'; omitted = the best available. */
  device?: DeviceName;
}

export interface DeviceInfo {
  device: DeviceName;
  /** Human-readable description of what computes. */
  description: string;
}

/** Thrown when a requested device cannot be used; the message says why. */
export class DeviceError extends ChainruleError {
  override name = 'DeviceError';
}

let backend: Backend = cpu;

/**
 * Chooses the device. Until called, chainrule computes on the CPU reference.
 * The WebGPU backend is not part of this build yet: asking for it throws a DeviceError.
 */
export async function init(options: InitOptions = {}): Promise<DeviceInfo> {
  const device = options.device ?? 'cpu';
  if (device === 'webgpu') {
    throw new DeviceError("init: the 'webgpu' device is not available in this build of chainrule yet; use { device: 'cpu' }");
  }
  if (device !== 'cpu') throw new DeviceError(`init: unknown device '${String(device)}' (expected 'webgpu' or 'cpu')`);
  backend = cpu;
  return deviceInfo();
}

export function currentBackend(): Backend {
  return backend;
}

export function deviceInfo(): DeviceInfo {
  return { device: backend.name, description: 'CPU reference (typed arrays in JavaScript)' };
}
