/** Staging buffers for readbacks, kept for reuse: a loss read every step makes no new GPU buffer. */
import { BufferUsage, MapRead } from './gpu.ts';
import { BufferPool } from './pool.ts';

// Idle staging buffers kept per size bucket; more are destroyed when they come back.
const KEEP = 4;

/** Invariant: a buffer is idle here only unmapped, and is mapped by at most one read at a time. */
export class Staging {
  readonly #idle = new Map<number, GPUBuffer[]>();

  constructor(private readonly device: GPUDevice) {}

  /** An unmapped MAP_READ | COPY_DST buffer of at least `bytes` bytes. */
  acquire(bytes: number): GPUBuffer {
    const size = BufferPool.bucket(Math.max(bytes, 4));
    return this.#idle.get(size)?.pop() ?? this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }

  /** Maps the buffer, copies out its first `bytes` bytes, and takes it back for reuse. */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    try {
      await buffer.mapAsync(MapRead);
    } catch (e) {
      buffer.destroy(); // the device is gone, or the copy failed: the buffer is not reused
      throw e;
    }
    const copy = buffer.getMappedRange().slice(0, bytes);
    buffer.unmap();
    const idle = this.#idle.get(buffer.size) ?? [];
    this.#idle.set(buffer.size, idle);
    if (idle.length < KEEP) idle.push(buffer);
    else buffer.destroy();
    return copy;
  }

  clear(): void {
    for (const list of this.#idle.values()) for (const b of list) b.destroy();
    this.#idle.clear();
  }
}
