/** Per-dispatch GPU times from timestamp queries (the profiler): each dispatch in a pass of its own, timed at both ends. */
import type { KernelTime } from '../backend.ts';
import { BufferUsage, MapRead } from './gpu.ts';

const QUERIES = 4096; // 2048 dispatches per resolve

/** What one timed dispatch was: the kernel, its op, forward/backward/update/check, workgroups and bytes bound. */
type Timed = Omit<KernelTime, 'ms'>;

/**
 * Invariants: dispatch k of the current batch writes queries 2k and 2k + 1; a batch is resolved into
 * a buffer in the command encoder that holds its dispatches (after them), and read back without
 * waiting; done() waits for every batch and returns the times in dispatch order.
 */
export class Timestamps {
  readonly #set: GPUQuerySet;
  #batch: Timed[] = [];
  readonly #reads: Promise<KernelTime[]>[] = [];

  constructor(private readonly device: GPUDevice) {
    this.#set = device.createQuerySet({ type: 'timestamp', count: QUERIES });
  }

  /** True when the next dispatch has no query left: resolve() first. */
  get full(): boolean {
    return 2 * this.#batch.length === QUERIES;
  }

  /** The timestamp writes of a pass holding one dispatch, noted as `timed`. */
  pass(timed: Timed): GPUComputePassTimestampWrites {
    const k = this.#batch.push(timed) - 1;
    return { querySet: this.#set, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 };
  }

  /**
   * Resolves the batch in `encoder` (after its dispatches); returns what starts reading it back, to
   * call once the encoder is submitted.
   */
  resolve(encoder: GPUCommandEncoder): (() => void) | undefined {
    const batch = this.#batch;
    if (batch.length === 0) return undefined;
    this.#batch = [];
    const bytes = batch.length * 16;
    const resolved = this.device.createBuffer({ size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.#set, 0, batch.length * 2, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    return () => {
      this.#reads.push(
        staging.mapAsync(MapRead).then(() => {
          const ns = new BigInt64Array(staging.getMappedRange().slice(0));
          staging.unmap();
          staging.destroy();
          resolved.destroy();
          return batch.map((t, k) => ({ ...t, ms: Number(ns[2 * k + 1] - ns[2 * k]) / 1e6 }));
        }),
      );
    };
  }

  /** Every time read back so far, in dispatch order. */
  async done(): Promise<KernelTime[]> {
    const all = await Promise.all(this.#reads.splice(0));
    this.#set.destroy();
    return all.flat();
  }
}
