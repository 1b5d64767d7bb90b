/** The GPU buffer pool: buffers by lane and size bucket, lent oldest first so a repeated step gets the same ones back. */
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
 * the same buffers, whatever order they came back in); trim() destroys the buffers idle longest.
 */
export class BufferPool {
  readonly #idle = new Map<string, GPUBuffer[]>();
  readonly #lanes = new WeakMap<GPUBuffer, Lane>();
  // When each idle buffer came back (a counter): trim() gives back the longest idle first.
  readonly #returned = new Map<GPUBuffer, number>();
  #clock = 0;

  constructor(private readonly device: GPUDevice) {}

  static bucket(bytes: number): number {
    const MiB = 2 ** 20;
    return bytes > MiB ? Math.ceil(bytes / MiB) * MiB : Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
  }

  acquire(bytes: number, lane: Lane): GPUBuffer {
    const size = BufferPool.bucket(bytes);
    // A lane short of buffers takes one the garbage collector gave back ('loose'), which joins it.
    let buffer = this.#idle.get(`${lane}${size}`)?.pop() ?? this.#idle.get(`loose${size}`)?.pop();
    if (buffer) {
      this.#lanes.set(buffer, lane);
      counters.pooledBytes -= size;
      this.#returned.delete(buffer);
    } else {
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

  /** Puts a lent buffer in another lane (a gradient the garbage collector freed joins 'loose'). */
  move(buffer: GPUBuffer, lane: Lane): void {
    this.#lanes.set(buffer, lane);
  }

  release(buffer: GPUBuffer): void {
    counters.liveBytes -= buffer.size;
    counters.pooledBytes += buffer.size;
    this.#returned.set(buffer, ++this.#clock);
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

  /** Destroys idle buffers, the longest idle first, until at most `maxBytes` are idle. */
  trim(maxBytes: number): void {
    if (counters.pooledBytes <= maxBytes) return;
    const oldest = [...this.#returned].sort((a, b) => a[1] - b[1]);
    for (const [buffer] of oldest) {
      if (counters.pooledBytes <= maxBytes) break;
      const list = this.#idle.get(`${this.laneOf(buffer)}${buffer.size}`)!;
      list.splice(list.indexOf(buffer), 1);
      this.#returned.delete(buffer);
      counters.pooledBytes -= buffer.size;
      buffer.destroy();
    }
  }

  /** Destroys the idle buffers (lent ones are destroyed with the device). */
  clear(): void {
    for (const list of this.#idle.values()) for (const b of list) b.destroy();
    this.#idle.clear();
    this.#returned.clear();
    counters.pooledBytes = 0;
  }
}
