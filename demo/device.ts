// Choosing the device: WebGPU when asked and available, else the CPU reference, with the reason.
import * as cr from 'chainrule';
import type { Device } from './settings.ts';

export interface DeviceChoice {
  info: cr.DeviceInfo;
  /** Why WebGPU was asked for but not used; null when it was used (or the CPU was asked for). */
  fallbackReason: string | null;
}

let current: DeviceChoice | null = null;

/** Whether the browser exposes WebGPU at all (it needs a secure context: https or 127.0.0.1). */
export const hasWebGpu = (): boolean => typeof navigator !== 'undefined' && !!navigator.gpu;

/**
 * Initialises `wanted` unless it is already in use. Re-initialising releases the old device, so
 * every tensor made before (data, model) must be made again afterwards.
 */
export async function useDevice(wanted: Device): Promise<DeviceChoice> {
  if (current && (current.info.device === wanted || (wanted === 'webgpu' && current.fallbackReason))) return current;
  const info = await cr.init({ device: wanted === 'cpu' ? 'cpu' : undefined, quiet: true });
  return (current = { info, fallbackReason: wanted === 'webgpu' && info.device === 'cpu' ? info.reason : null });
}

/** One line for the page: which device and adapter compute. */
export function describe({ info }: DeviceChoice): string {
  if (info.device === 'cpu') return `CPU: ${info.description}`;
  return `WebGPU: ${info.description}${info.software ? ' (a software adapter: the CPU emulates the GPU)' : ''}`;
}
