// Per-kernel GPU times for the libraries without a profiler of their own (jax-js, TF.js), by
// wrapping the WebGPU API's prototypes in the page:
// - watchPipelines(), for the page, before the peers create their devices: requestDevice asks for
//   'timestamp-query' where the adapter has it, and every compute pipeline gets a name (its label,
//   what its WGSL does, a hash of the WGSL). This runs when pipelines compile (warm-up), not per step.
// - profileKernels(), a profiling run of its own after the timed runs: every compute pass gets a
//   timestamp pair (from one query set per device), and the dispatches of each pass are counted;
//   after the run the prototypes are restored and the queries resolved and read back, once. A pass
//   holding several dispatches is split evenly among them (and said so).
// chainrule uses cr.profile() instead, which also gives each dispatch a pass while profiling.

/** One kernel over the profiled steps, per step. */
export interface KernelTime {
  kernel: string;
  dispatches: number;
  workgroups: number;
  /** GPU milliseconds (timestamp queries). */
  ms: number;
  /** Of the step's kernel time, 0 to 1. */
  share: number;
}

/** Where one library's step goes, kernel by kernel. */
export interface KernelReport {
  /** How the kernels were timed, and anything to know about it. */
  method: string;
  steps: number;
  /** Wall milliseconds per profiled step: it may be slower than a timed one (one pass per dispatch, the queries). */
  stepMs: number;
  /** GPU milliseconds in kernels per step: the sum of `kernels`. */
  kernelMs: number;
  dispatches: number;
  /** Slowest first. */
  kernels: KernelTime[];
}

/** Sorts kernels slowest first and adds the totals and shares. */
export function kernelReport(method: string, steps: number, stepMs: number, rows: readonly Omit<KernelTime, 'share'>[]): KernelReport {
  const kernelMs = rows.reduce((n, r) => n + r.ms, 0);
  const kernels = rows.map((r) => ({ ...r, share: kernelMs > 0 ? r.ms / kernelMs : 0 })).sort((a, b) => b.ms - a.ms || b.dispatches - a.dispatches);
  return { method, steps, stepMs, kernelMs, dispatches: rows.reduce((n, r) => n + r.dispatches, 0), kernels };
}

/** Replaces target[key] with wrap(the original); returns what puts the original back. */
function patch<T, K extends keyof T>(target: T, key: K, wrap: (original: T[K]) => T[K]): () => void {
  const original = target[key];
  target[key] = wrap(original);
  return () => void (target[key] = original);
}

const wgsl = new WeakMap<GPUShaderModule, string>();
const names = new WeakMap<GPUComputePipeline, string>();

/** Asks every new device for 'timestamp-query' (when offered) and names every compute pipeline; returns the undo. */
export function watchPipelines(): () => void {
  const named = (descriptor: GPUComputePipelineDescriptor) => (pipeline: GPUComputePipeline) => {
    names.set(pipeline, pipelineName(descriptor));
    return pipeline;
  };
  const restore = [
    patch(
      GPUAdapter.prototype,
      'requestDevice',
      (requestDevice) =>
        function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
          const features = [...(descriptor?.requiredFeatures ?? [])];
          if (this.features.has('timestamp-query') && !features.includes('timestamp-query')) features.push('timestamp-query');
          return requestDevice.call(this, { ...descriptor, requiredFeatures: features });
        },
    ),
    patch(
      GPUDevice.prototype,
      'createShaderModule',
      (createShaderModule) =>
        function (this: GPUDevice, descriptor: GPUShaderModuleDescriptor) {
          const module = createShaderModule.call(this, descriptor);
          wgsl.set(module, descriptor.code);
          return module;
        },
    ),
    patch(
      GPUDevice.prototype,
      'createComputePipeline',
      (createComputePipeline) =>
        function (this: GPUDevice, descriptor: GPUComputePipelineDescriptor) {
          return named(descriptor)(createComputePipeline.call(this, descriptor));
        },
    ),
    patch(
      GPUDevice.prototype,
      'createComputePipelineAsync',
      (createComputePipelineAsync) =>
        function (this: GPUDevice, descriptor: GPUComputePipelineDescriptor) {
          return createComputePipelineAsync.call(this, descriptor).then(named(descriptor));
        },
    ),
  ];
  return () => restore.forEach((undo) => undo());
}

/** A pipeline's name: its label, what its WGSL does, and a hash of the WGSL (kernels that read alike differ by it). */
function pipelineName({ label, compute }: GPUComputePipelineDescriptor): string {
  const code = wgsl.get(compute.module) ?? '';
  return `${label ? `${label}: ` : ''}${what(code, compute.entryPoint ?? '')} #${hash(code)}`;
}

/**
 * What a kernel does, read off its WGSL: TF.js's elementwise programs name their operation, its
 * matmuls tile through mm_Asub; jax-js's generated kernels loop a literal number of times
 * (reductions, matmuls) or store one expression, over a literal number of threads.
 */
function what(code: string, entryPoint: string): string {
  const op = /fn (?:unary|binary)Operation\([^{]*\{\s*(?:let resultTemp = |return )?([^;\n]+)/.exec(code)?.[1];
  if (op) return op.trim();
  if (code.includes('mm_Asub')) return 'matmul, tiled';
  const threads = /if \(id\.x >= (\d+)\)/.exec(code)?.[1];
  const loop = /for \(var \w+: i32 = 0; \w+ < (\d+);/.exec(code)?.[1];
  const store = /\bresult\[[^\]]*\] = ([^;]+);/.exec(code)?.[1];
  const stored = store && store.length > 40 ? `${store.slice(0, 40)}…` : store;
  const body = loop ? `loop ${loop}` : code.includes('var<workgroup>') ? 'workgroup reduction' : (stored ?? entryPoint);
  return threads ? `${body}, ${threads} threads` : body;
}

/** FNV-1a, 4 hex digits. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0').slice(0, 4);
}

/** Timestamp queries per device and run: 2 per pass (WebGPU's limit for a query set). */
const QUERIES = 4096;

interface Pass {
  /** The pipeline set last, and what each dispatch ran. */
  pipeline: string;
  dispatches: { kernel: string; workgroups: number }[];
}

/**
 * Runs `run` `steps` times (each awaited with `sync`) with every compute pass timed, and returns
 * the time per kernel per step. The devices must have been created after watchPipelines().
 */
export async function profileKernels(run: () => void, sync: () => Promise<void>, steps: number, note = ''): Promise<KernelReport> {
  await sync(); // nothing of the timed runs left in an open encoder
  // Per device: a query set, pass k writing queries 2k and 2k + 1, resolved after the run.
  const devices = new Map<GPUDevice, { set: GPUQuerySet; passes: Pass[] }>();
  const encoders = new WeakMap<GPUCommandEncoder, GPUDevice>();
  const passes = new WeakMap<GPUComputePassEncoder, Pass>();
  let untimed = 0;

  const restore = [
    patch(
      GPUDevice.prototype,
      'createCommandEncoder',
      (createCommandEncoder) =>
        function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
          const encoder = createCommandEncoder.call(this, descriptor);
          encoders.set(encoder, this);
          return encoder;
        },
    ),
    patch(
      GPUCommandEncoder.prototype,
      'beginComputePass',
      (beginComputePass) =>
        function (this: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor) {
          const device = encoders.get(this);
          let d = device && devices.get(device);
          if (device && !d && device.features.has('timestamp-query')) {
            devices.set(device, (d = { set: device.createQuerySet({ type: 'timestamp', count: QUERIES }), passes: [] }));
          }
          // Untimed: an encoder opened before the run, no timestamp-query, a pass the library times itself, no query left.
          if (!d || descriptor?.timestampWrites || 2 * d.passes.length === QUERIES) {
            untimed++;
            return beginComputePass.call(this, descriptor);
          }
          const k = d.passes.push({ pipeline: '', dispatches: [] }) - 1;
          const timestampWrites = { querySet: d.set, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 };
          const pass = beginComputePass.call(this, { ...descriptor, timestampWrites });
          passes.set(pass, d.passes[k]);
          return pass;
        },
    ),
    patch(
      GPUComputePassEncoder.prototype,
      'setPipeline',
      (setPipeline) =>
        function (this: GPUComputePassEncoder, pipeline: GPUComputePipeline) {
          const pass = passes.get(this);
          if (pass) pass.pipeline = names.get(pipeline) ?? 'unnamed';
          return setPipeline.call(this, pipeline);
        },
    ),
    patch(
      GPUComputePassEncoder.prototype,
      'dispatchWorkgroups',
      (dispatchWorkgroups) =>
        function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
          const pass = passes.get(this);
          pass?.dispatches.push({ kernel: pass.pipeline, workgroups: x * y * z });
          return dispatchWorkgroups.call(this, x, y, z);
        },
    ),
    patch(
      GPUComputePassEncoder.prototype,
      'dispatchWorkgroupsIndirect',
      (dispatchWorkgroupsIndirect) =>
        function (this: GPUComputePassEncoder, buffer: GPUBuffer, offset: number) {
          const pass = passes.get(this);
          pass?.dispatches.push({ kernel: pass.pipeline, workgroups: 0 }); // its size is on the GPU
          return dispatchWorkgroupsIndirect.call(this, buffer, offset);
        },
    ),
  ];

  const times: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      run();
      await sync();
      times.push(performance.now() - t0);
    }
  } finally {
    restore.forEach((undo) => undo());
  }

  // Every pass of the run has been submitted and has run: resolve the queries and read them back.
  const kernels = new Map<string, Omit<KernelTime, 'share'>>();
  let shared = 0;
  for (const [device, d] of devices) {
    const bytes = 16 * d.passes.length;
    const resolved = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.resolveQuerySet(d.set, 0, 2 * d.passes.length, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, read, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const ns = new BigInt64Array(read.getMappedRange());
    d.passes.forEach((pass, k) => {
      const ms = Math.max(0, Number(ns[2 * k + 1] - ns[2 * k])) / 1e6;
      if (pass.dispatches.length > 1) shared++;
      for (const { kernel, workgroups } of pass.dispatches) {
        const row = kernels.get(kernel) ?? { kernel, dispatches: 0, workgroups: 0, ms: 0 };
        row.dispatches += 1 / steps;
        row.workgroups += workgroups / steps;
        row.ms += ms / pass.dispatches.length / steps;
        kernels.set(kernel, row);
      }
    });
    read.unmap();
    [read, resolved, d.set].forEach((r) => r.destroy());
  }
  const notes = [
    'WebGPU wrapped: a timestamp pair per compute pass',
    note,
    shared > 0 ? `${shared} passes held several dispatches: each one's time is split evenly among them` : 'one dispatch per pass',
    untimed > 0 ? `${untimed} passes untimed` : '',
  ];
  return kernelReport(notes.filter(Boolean).join('; '), steps, median(times), [...kernels.values()]);
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
