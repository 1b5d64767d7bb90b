import { counters } from '../../stats.ts';
import { BufferUsage } from './gpu.ts';

/**
 * Storage buffers by size bucket (powers of two from 256 bytes to 1 MiB, whole MiB above). Invariant: a buffer is either
 * lent out (counted in liveBytes) or idle in its bucket (counted in pooledBytes), never both.
 */
export class BufferPool {
  readonly #idle = new Map<number, GPUBuffer[]>();

  constructor(private readonly device: GPUDevice) {}

  static bucket(bytes: number): number {
    const MiB = 2 ** 20;
    return bytes > MiB ? Math.ceil(bytes / MiB) * MiB : Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
  }

  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    let buffer = this.#idle.get(size)?.pop();
    if (buffer) counters.pooledBytes -= size;
    else buffer = this.device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    counters.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    counters.liveBytes -= buffer.size;
    counters.pooledBytes += buffer.size;
    const list = this.#idle.get(buffer.size);
    if (list) list.push(buffer);
    else this.#idle.set(buffer.size, [buffer]);
  }

  /** Destroys the idle buffers (lent ones are destroyed with the device). */
  clear(): void {
    for (const list of this.#idle.values()) for (const b of list) b.destroy();
    this.#idle.clear();
    counters.pooledBytes = 0;
  }
}
