import { counters } from '../../stats.ts';
import type { Lane } from '../backend.ts';
import { BufferUsage } from './gpu.ts';

const ids = new WeakMap<GPUBuffer, number>();
let lastId = 0;

/** A small number naming a buffer, in creation order (keys of cached bind groups). */
export function bufferId(buffer: GPUBuffer): number {
  let id = ids.get(buffer);
  if (id === undefined) ids.set(buffer, (id = ++lastId));
  return id;
}

/**
 * Storage buffers by lane and size bucket (powers of two from 256 bytes to 1 MiB, whole MiB above).
 * Invariants: a buffer is either lent out (counted in liveBytes) or idle in its bucket (counted in
 * pooledBytes), never both; it stays in the lane it was made for; a bucket lends its oldest buffer
 * first, so the same set of idle buffers always gives the same assignment (a repeated step gets
 * the same buffers, whatever order they came back in).
 */
export class BufferPool {
  readonly #idle = new Map<string, GPUBuffer[]>();
  readonly #lanes = new WeakMap<GPUBuffer, Lane>();

  constructor(private readonly device: GPUDevice) {}

  static bucket(bytes: number): number {
    const MiB = 2 ** 20;
    return bytes > MiB ? Math.ceil(bytes / MiB) * MiB : Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
  }

  acquire(bytes: number, lane: Lane): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    let buffer = this.#idle.get(`${lane}${size}`)?.pop();
    if (buffer) counters.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
      this.#lanes.set(buffer, lane);
      bufferId(buffer);
    }
    counters.liveBytes += size;
    return buffer;
  }

  laneOf(buffer: GPUBuffer): Lane {
    return this.#lanes.get(buffer)!;
  }

  release(buffer: GPUBuffer): void {
    counters.liveBytes -= buffer.size;
    counters.pooledBytes += buffer.size;
    const key = `${this.laneOf(buffer)}${buffer.size}`;
    const list = this.#idle.get(key);
    if (!list) this.#idle.set(key, [buffer]);
    else {
      // Sorted by id, newest first: acquire pops the oldest.
      const id = bufferId(buffer);
      let i = list.length;
      while (i > 0 && bufferId(list[i - 1]) < id) i--;
      list.splice(i, 0, buffer);
    }
  }

  /** Destroys the idle buffers (lent ones are destroyed with the device). */
  clear(): void {
    for (const list of this.#idle.values()) for (const b of list) b.destroy();
    this.#idle.clear();
    counters.pooledBytes = 0;
  }
}
