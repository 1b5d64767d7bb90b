/** Counters a user can watch (`cr.stats()`): what the device did since init or the last reset. */
export interface Stats {
  /** Kernel launches. */
  dispatches: number;
  /**
   * Bytes of the storage buffers kernels bind to read, and to write (an update's parameter counts
   * as written): what a step moves through memory at most. Fusion keeps intermediates in registers.
   */
  kernelBytesRead: number;
  kernelBytesWritten: number;
  /** Command buffers handed to the GPU queue (plans realized in one JavaScript task share one; one per readback). */
  submits: number;
  /** Copies of a value back to the host (`await t.data()`). */
  readbacks: number;
  bytesUploaded: number;
  bytesRead: number;
  /** GPU bytes held by live tensors, and bytes idle in the buffer pool. */
  liveBytes: number;
  pooledBytes: number;
  /** Tensors whose value is held on the device. */
  liveTensors: number;
  /** Shader pipelines compiled (each kernel once). */
  pipelines: number;
  /** Bind groups created; a repeated step reuses its plan's bind groups, so this stops growing. */
  bindGroups: number;
}

export const counters: Stats = {
  dispatches: 0,
  kernelBytesRead: 0,
  kernelBytesWritten: 0,
  submits: 0,
  readbacks: 0,
  bytesUploaded: 0,
  bytesRead: 0,
  liveBytes: 0,
  pooledBytes: 0,
  liveTensors: 0,
  pipelines: 0,
  bindGroups: 0,
};

/** A snapshot of the counters. */
export function stats(): Stats {
  return { ...counters };
}

/** Zeroes the event counters (dispatches, kernel bytes, submits, readbacks, bytes moved); gauges are kept. */
export function resetStats(): void {
  Object.assign(counters, {
    dispatches: 0,
    kernelBytesRead: 0,
    kernelBytesWritten: 0,
    submits: 0,
    readbacks: 0,
    bytesUploaded: 0,
    bytesRead: 0,
    bindGroups: 0,
  });
}
