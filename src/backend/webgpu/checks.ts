/** Error slots: where kernels that cannot throw record an invalid label or a non-finite value for the host to read. */
import type { Binding } from '../../ops/spec.ts';
import type { CheckSite, Invalid } from '../backend.ts';
import { BufferUsage } from './gpu.ts';

/** Bytes per slot: WebGPU's default minStorageBufferOffsetAlignment, so any slot can be bound. */
export const SLOT = 256;
/** Bytes of a slot a kernel sees (shaders/lib/check.wgsl: count, first, value, padding). */
export const SLOT_BINDING = 16;
const SLOTS = 1024;

/** Bindings of shaders/check_finite.wgsl, the numerics guard's kernel (entry check_finite). */
export const CHECK_FINITE: readonly Binding[] = [
  { name: 'p', binding: 0, type: 'uniform' },
  { name: 'x', binding: 1, type: 'read-only-storage' },
  { name: 'err', binding: 2, type: 'storage', dynamic: true },
];

/**
 * Error slots for kernels that cannot throw: each checked dispatch gets the next slot of one storage
 * buffer (bound at a dynamic offset) and records what it found there. Invariants:
 * - slot k belongs to sites[k], the k-th checked dispatch since the slots were last taken;
 * - take() hands the used slots to a readback that copies them in its own command buffer, after the
 *   work that wrote them, and clears them after the copy; slots then start again at 0;
 * - a window that fills up is taken by the backend at once (a small asynchronous read, once per
 *   SLOTS checked dispatches), so no step ever waits for it.
 */
export class Checks {
  readonly buffer: GPUBuffer;
  #sites: CheckSite[] = [];

  constructor(device: GPUDevice) {
    this.buffer = device.createBuffer({ size: SLOTS * SLOT, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  }

  /** True when no slot is left: the backend must take the slots before the next checked dispatch. */
  get full(): boolean {
    return this.#sites.length === SLOTS;
  }

  /** The byte offset of a new slot for `site`. */
  slot(site: CheckSite): number {
    this.#sites.push(site);
    return (this.#sites.length - 1) * SLOT;
  }

  /** The sites of the used slots, and how many bytes they span; the slots start again at 0. */
  take(): { sites: CheckSite[]; bytes: number } {
    const sites = this.#sites;
    this.#sites = [];
    return { sites, bytes: sites.length * SLOT };
  }
}

/** The first slot (in dispatch order) whose kernel found something, and what it found. */
export function firstFound(slots: Uint32Array, sites: readonly CheckSite[]): { site: CheckSite; found: Invalid } | undefined {
  const words = SLOT / 4;
  for (let k = 0; k < sites.length; k++) {
    const count = slots[k * words];
    if (count === 0) continue;
    const position = 0xffffffff - slots[k * words + 1];
    const value = slots[k * words + 2] | 0; // an i32
    return { site: sites[k], found: { count, position, value } };
  }
  return undefined;
}
