/** The WebGPU backend: runs kernels on GPU buffers in one command encoder per plan, pools buffers, reads values back. */
import { dtypeOf, type DType, type Values } from '../dtype.ts';
import { assert, fail, GpuError, OpError } from '../errors.ts';
import { fwdVjpBindings, kernelReads, type Meta } from '../ops/spec.ts';
import { Params, WORKGROUP, type Dispatch } from '../ops/params.ts';
import { formatShape, sizeOf } from '../shape.ts';
import { counters } from '../stats.ts';
import type { Backend, CheckSite, FusedCall, FusedOutputs, KernelCall, KernelTime, Lane, Phase, Storage, UpdateItem } from './backend.ts';
import { generateFused, generateUpdates, type Generated } from './webgpu/fused.ts';
import { shaderSources } from 'virtual:chainrule/shaders';
import { Timestamps } from './webgpu/timestamps.ts';
import { BufferUsage } from './webgpu/gpu.ts';
import { Kernels, type Kernel } from './webgpu/kernels.ts';
import { SPANS, updateBindings, type AnyUpdateSpec } from '../ops/update.ts';
import { BufferPool, bufferId } from './webgpu/pool.ts';
import { Staging } from './webgpu/staging.ts';
import { CHECK_FINITE, Checks, firstFound, SLOT_BINDING } from './webgpu/checks.ts';
import { Autotune, timeRuns, type TuneOptions, type Tuned } from './webgpu/autotune.ts';

type Found = NonNullable<ReturnType<typeof firstFound>>;

/** An update whose state buffers are empty (SGD without momentum): a fused kernel binds none of them. */
function isStateless(u: UpdateItem): boolean {
  return u.state.length > 0 && u.state.every((s) => s.bytes === 0);
}

/** A site for a checked dispatch that came without one (never from the executor): names only the op. */
function unexplained(op: string): CheckSite {
  return { explain: async ({ position, value, count }) => new OpError(op, `an invalid label or index ${value} at position ${position} (${count} in all)`) };
}

// Dispatches encoded before a submit is forced: a synchronous loop of many steps still reaches the GPU.
const MAX_ENCODED = 4096;

/** A tensor's value on the GPU. `host` keeps uploaded int32 data (labels) so shape rules can check values. */
class GpuStorage implements Storage {
  refs = 1;
  constructor(
    readonly backend: WebGpuBackend,
    readonly buffer: GPUBuffer,
    readonly bytes: number,
    readonly dtype: DType,
    readonly host?: Values,
  ) {}
}

/**
 * The WebGPU device. Invariants:
 * - every dispatch goes into one compute pass of one command encoder; flush() submits it at the end
 *   of the JavaScript task that ended a plan (endPlan), or at once before a readback, sync, destroy,
 *   or when MAX_ENCODED dispatches are waiting;
 * - an update (optimizer step) rewrites its parameter's buffer in place; ordered in the pass, it
 *   runs after every dispatch encoded before it;
 * - a storage buffer is lent to at most one live GpuStorage and returns to the pool when its refs
 *   reach 0; buffers released while a plan is encoding are reused only by later dispatches of that
 *   plan (ordered within the pass), never by a queue write, which would run before the plan;
 * - every kernel writes every element of its output, so pooled buffers need no clearing;
 * - errors from the device (validation, out of memory, loss) are kept and thrown at the next sync.
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  live = true;
  readonly kernels: Kernels;
  readonly #pool: BufferPool;
  readonly #uniforms = new Map<string, GPUBuffer>();
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #releasedInPlan: GPUBuffer[] = [];
  readonly #bindGroups = new Map<string, GPUBindGroup>();
  readonly #updateParams = new Map<string, { buffer: GPUBuffer; words: string }>();
  // Update params buffers read by the encoded, not yet submitted work.
  readonly #encodedUpdates = new Set<GPUBuffer>();
  #encoded = 0;
  #flushScheduled = false;
  readonly #checks: Checks;
  readonly #staging: Staging;
  readonly #tune: Autotune;
  // Generated kernels by their structure (fusion): the code is built once per structure.
  readonly #generated = new Map<string, Generated>();
  // Bound where a fused kernel's anchor output is not written (its binding must exist).
  #unused: GPUBuffer | null = null;
  // While profiling: the timestamp queries (when the device has them), or the kernels counted untimed.
  #profile: { timestamps: Timestamps | null; untimed: KernelTime[] } | null = null;
  // Error slots read without waiting (#drain), in order; the next read or sync looks at them.
  readonly #drains: Promise<Found | undefined>[] = [];
  #error: Error | null = null;
  #lost = false;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: GPUAdapterInfo,
    /**
     * What gave the adapter (navigator.gpu; in Node, Dawn's instance). Referenced here, a field no
     * build can drop, for as long as the device is in use: Dawn frees its instance, device and all,
     * once that object is collected.
     */
    readonly instance: object,
    /** Idle bytes the pool may keep; undefined: max(64 MiB, the bytes live tensors hold). */
    readonly maxPoolBytes?: number,
    /** How kernel variants are chosen (autotune.ts); software: SwiftShader or a fallback adapter. */
    tune: TuneOptions & { readonly software: boolean } = { autotune: true, forced: {}, software: false },
  ) {
    this.kernels = new Kernels(device);
    this.#tune = new Autotune([adapter.vendor, adapter.architecture, adapter.device, adapter.description].join('|'), tune.software, tune);
    this.#checks = new Checks(device);
    this.#staging = new Staging(device);
    this.#pool = new BufferPool(device);
    device.addEventListener('uncapturederror', (e) => {
      const error = (e as GPUUncapturedErrorEvent).error;
      this.#error ??= new GpuError(`webgpu: ${error.constructor.name}: ${error.message}`);
      console.error(this.#error.message);
    });
    void device.lost.then((info) => {
      if (info.reason === 'destroyed') return;
      this.#lost = true;
      this.#error = new GpuError(`webgpu: device lost (${info.reason}): ${info.message}; call cr.init() again`);
      console.error(this.#error.message);
    });
  }

  get maxStorageBuffers(): number {
    return this.device.limits.maxStorageBuffersPerShaderStage;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throws an OpError naming the limit if a tensor of this shape cannot be bound. */
  checkSize(op: string, meta: Meta): void {
    const bytes = sizeOf(meta.shape) * 4;
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) fail(op, `tensor ${formatShape(meta.shape)} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize of ${limit} bytes`);
    if (meta.dtype === 'float64') fail(op, 'float64 exists on the CPU reference only; WebGPU computes in float32');
  }

  upload(values: Values): Storage {
    const dtype = dtypeOf(values);
    this.checkSize('upload', { shape: [values.length], dtype });
    const buffer = this.#pool.acquire(values.byteLength, 'loose');
    this.device.queue.writeBuffer(buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    counters.bytesUploaded += values.byteLength;
    counters.liveTensors++;
    return new GpuStorage(this, buffer, values.byteLength, dtype, dtype === 'int32' ? values.slice() : undefined);
  }

  run(call: KernelCall): Storage {
    const { op, kind, reads, out, lane = 'loose', site } = call;
    const variant = this.#variant(call);
    const dispatch = this.#launch(call, variant);
    const kernel = this.kernels.get(op, kind, dispatch.constants, variant);
    const y = this.#output(out, lane);
    // The kernel's bindings by name: what it reads (kernelReads), its output, params and error slot.
    const byName = new Map<string, GpuStorage | GPUBuffer>(kernelReads(op, kind).map((r, k) => [r.name, reads[k] as GpuStorage]));
    byName.set(kind === 'fwd' ? 'y' : 'dx', y);
    byName.set('p', this.#uniform(dispatch.params.bytes()));
    byName.set('err', this.#checks.buffer);
    this.#launchBound(op.name, kernel, byName, dispatch, site, kind === 'fwd' ? 'forward' : 'backward');
    return y;
  }

  /**
   * Dispatches a kernel with its buffers taken by binding name (each must live on this device), and
   * an error slot for `site` when it binds one (a kernel that checks labels or indices).
   */
  #launchBound(
    op: string,
    kernel: Kernel,
    byName: ReadonlyMap<string, GpuStorage | GPUBuffer>,
    dispatch: Dispatch,
    site: CheckSite | undefined,
    phase: Phase,
  ): void {
    const buffers = kernel.bindings.map((b) => {
      const x = byName.get(b.name);
      assert(x instanceof GpuStorage ? x.backend === this : x !== undefined, `${kernel.id}: binding ${b.name} has no value on this device`);
      return x!;
    });
    const groups = dispatch.groups ?? Math.ceil((dispatch.threads ?? 0) / WORKGROUP);
    const checked = groups > 0 && kernel.bindings.some((b) => b.dynamic);
    if (checked && this.#checks.full) this.#drain();
    const offsets = checked ? [this.#checks.slot(site ?? unexplained(op))] : [];
    this.#dispatch(op, kernel, buffers, groups, offsets, phase);
  }

  /** The op's launch of this kernel, for a variant where it has some. */
  #launch({ op, kind, wrt, attrs, readMetas, inputs, out }: KernelCall, variant: string | undefined): Dispatch {
    return kind === 'fwd' ? op.gpu.fwd(inputs, out, attrs, variant) : op.gpu.vjp!(inputs, readMetas[readMetas.length - 1], wrt, out, attrs, variant);
  }

  /** The variant to run where the op has some: forced, the adapter's default, or measured (autotune.ts). */
  #variant(call: KernelCall): string | undefined {
    const variants = call.op.gpu.variants;
    if (!variants) return undefined;
    const kernel = call.kind === 'fwd' ? `${call.op.name}_fwd` : `${call.op.name}_vjp (input ${call.wrt})`;
    return this.#tune.choose(call.op.name, kernel, variants, call.inputs, (v, bound) => this.#time(call, v, bound));
  }

  /** Milliseconds per dispatch of one variant of a call's kernel (see #timeKernel). */
  #time(call: KernelCall, variant: string, bound: number): Promise<number> {
    const dispatch = this.#launch(call, variant);
    const kernel = this.kernels.get(call.op, call.kind, dispatch.constants, variant);
    const bytes = new Map(kernelReads(call.op, call.kind).map((r, k) => [r.name, sizeOf(call.readMetas[k].shape) * 4]));
    bytes.set(call.kind === 'fwd' ? 'y' : 'dx', sizeOf(call.out.shape) * 4);
    return this.#timeKernel(call.op.name, kernel, dispatch.groups ?? Math.ceil((dispatch.threads ?? 0) / WORKGROUP), dispatch.params.bytes(), bytes, bound);
  }

  /**
   * Milliseconds per dispatch of a kernel, on scratch buffers of the sizes in `bytes` by binding name
   * (their contents do not matter to a kernel's time), in submits of its own; one sample if slower than `bound`.
   */
  async #timeKernel(op: string, kernel: Kernel, groups: number, params: ArrayBuffer, bytes: ReadonlyMap<string, number>, bound: number): Promise<number> {
    const scratch: GPUBuffer[] = [];
    const entries = kernel.bindings.map((b): GPUBindGroupEntry => {
      if (b.name === 'p') return { binding: b.binding, resource: { buffer: this.#uniform(params) } };
      assert(!b.dynamic && bytes.has(b.name), `${kernel.id}: binding ${b.name} cannot be timed`);
      const buffer = this.device.createBuffer({ size: Math.max(4, bytes.get(b.name)!), usage: BufferUsage.STORAGE });
      scratch.push(buffer);
      return { binding: b.binding, resource: { buffer } };
    });
    const group = this.device.createBindGroup({ layout: kernel.layout, entries });
    const [x, rows] = this.#grid(op, groups);
    const encode = (reps: number) => {
      if (!this.live) throw new GpuError('webgpu: the device was released while timing kernel variants');
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, group);
      for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(x, rows);
      pass.end();
      this.device.queue.submit([encoder.finish()]);
    };
    try {
      return await timeRuns(encode, () => this.device.queue.onSubmittedWorkDone(), bound);
    } finally {
      for (const b of scratch) b.destroy();
    }
  }

  /** The kernel variants chosen on this adapter so far, and what each took. */
  tuning(): Tuned[] {
    return this.#tune.list();
  }

  checkFinite(storage: Storage, n: number, site: CheckSite): undefined {
    const kernel = this.kernels.entry('check_finite', 'check_finite', () => CHECK_FINITE);
    const groups = Math.ceil(n / 8 / WORKGROUP); // 8 elements per invocation
    if (groups === 0) return undefined;
    if (this.#checks.full) this.#drain();
    const uniform = this.#uniform(new Params().u32(n).bytes());
    // The kernel records the bad value's bits: the site gets the number.
    const asFloat: CheckSite = { explain: (f) => site.explain({ ...f, value: new Float32Array(Int32Array.of(f.value).buffer)[0] }) };
    this.#dispatch('check_finite', kernel, [uniform, storage as GpuStorage, this.#checks.buffer], groups, [this.#checks.slot(asFloat)], 'check');
    return undefined;
  }

  update(spec: AnyUpdateSpec, hyper: unknown, items: readonly UpdateItem[], fuse: boolean): void {
    const kernelOf = (span: string) => this.kernels.entry(spec.name, `${spec.name}_step`, () => updateBindings(spec), { SPAN: Number(span) });
    const groupsOf = (n: number, span: string) => Math.ceil(Math.ceil(n / Number(span)) / WORKGROUP);
    // Elements per invocation: measured on this device for each size class (autotune.ts).
    const spanOf = (n: number) => {
      const params = spec.params(n, hyper).bytes();
      const bytes = new Map(updateBindings(spec).map((b) => [b.name, n * 4]));
      const time = (span: string, bound: number) => this.#timeKernel(spec.name, kernelOf(span), groupsOf(n, span), params, bytes, bound);
      return this.#tune.choose(spec.name, `${spec.name}_step`, SPANS, [{ shape: [n], dtype: 'float32' }], time);
    };
    const uniformOf = (u: UpdateItem) => this.#updateUniform(u.param as GpuStorage, spec.name, spec.params(u.n, hyper).bytes());
    for (const chunk of fuse ? this.#updateChunks(items) : items.map((u) => [u])) {
      const span = spanOf(Math.max(...chunk.map((u) => u.n)));
      if (chunk.length === 1) {
        const [u] = chunk;
        const buffers = [uniformOf(u), u.grad, u.param, ...u.state] as (GpuStorage | GPUBuffer)[];
        this.#dispatch(spec.name, kernelOf(span), buffers, groupsOf(u.n, span), [], 'update');
        continue;
      }
      // Several parameters in one dispatch: each its own invocations, its own params (fused.ts).
      const sizes = chunk.map((u) => u.n);
      const stateless = chunk.map(isStateless);
      const key = `update|${spec.name}|${sizes.join(',')}|${stateless.join(',')}|${span}`;
      let gen = this.#generated.get(key);
      if (!gen) this.#generated.set(key, (gen = generateUpdates(shaderSources, spec, sizes, stateless, Number(span))));
      const buffers = chunk.flatMap((u) => [uniformOf(u), u.grad, u.param, ...(isStateless(u) ? [] : u.state)]) as (GpuStorage | GPUBuffer)[];
      const threads = sizes.reduce((t, n) => t + Math.ceil(n / Number(span)), 0);
      this.#dispatch(spec.name, this.kernels.generated(gen), buffers, Math.ceil(threads / WORKGROUP), [], 'update');
    }
  }

  /**
   * Parameters to update together, as many per dispatch as the device binds: storage buffers
   * (grad, param, state) and uniforms (params) per shader stage. A buffer bound twice for writing
   * (a state shared by two parameters) starts a new chunk: WebGPU forbids writable aliases.
   */
  #updateChunks(items: readonly UpdateItem[]): UpdateItem[][] {
    const { maxStorageBuffersPerShaderStage: maxStorage, maxUniformBuffersPerShaderStage: maxUniforms } = this.device.limits;
    const chunks: UpdateItem[][] = [];
    let storage = 0;
    let written = new Set<GPUBuffer>();
    for (const u of items) {
      const mine = [u.param, ...(isStateless(u) ? [] : u.state)].map((s) => (s as GpuStorage).buffer);
      const last = chunks[chunks.length - 1];
      if (!last || last.length >= maxUniforms || storage + 1 + mine.length > maxStorage || mine.some((b) => written.has(b))) {
        chunks.push([u]);
        written = new Set();
        storage = 0;
      } else last.push(u);
      for (const b of mine) written.add(b);
      storage += 1 + mine.length;
    }
    return chunks;
  }

  /**
   * Runs several ops as one generated kernel (fusion.ts chose them): the anchor's launch (matmul's
   * blocks, in the variant chosen for it) or one invocation per element, writing only the values
   * read after it.
   */
  runFused(call: FusedCall): FusedOutputs {
    const { anchor, shape, inputs, steps, anchorWritten, role = 'epilogue', loads } = call;
    const variant = anchor ? this.#variant(anchor) : undefined;
    const n = sizeOf(shape);
    const dispatch: Dispatch = anchor ? this.#launch(anchor, variant) : { threads: n, params: new Params() };
    const key = [
      anchor ? `${anchor.op.name}_${anchor.kind}:${anchor.wrt}:${variant}:${anchorWritten}:${role}:${loads}` : '-',
      shape.join('x'),
      inputs.map((x) => x.meta.shape.join('x')).join(','),
      steps
        .map(
          (s) =>
            `${s.op.name}_${s.kind}${s.wrt}(${s.args.map((r) => ('anchor' in r ? 'A' : 'step' in r ? `s${r.step}` : `i${r.input}`)).join(',')})${s.lane ? 'w' : ''}`,
        )
        .join(';'),
    ].join('|');
    let gen = this.#generated.get(key);
    if (!gen) {
      const structure = {
        anchor: anchor && { op: anchor.op, kind: anchor.kind, variant },
        role,
        loads,
        anchorWritten,
        shape,
        inputs: inputs.map((x) => x.meta),
        steps,
      };
      this.#generated.set(key, (gen = generateFused(shaderSources, structure)));
    }
    const kernel = this.kernels.generated(gen, dispatch.constants);
    const byName = new Map<string, GpuStorage | GPUBuffer>();
    let anchorOut: GpuStorage | undefined;
    if (anchor) {
      const unused = (this.#unused ??= this.device.createBuffer({ size: 16, usage: BufferUsage.STORAGE }));
      // A prologue's steps compute what its anchor reads: those bindings stay, bound to nothing used.
      kernelReads(anchor.op, anchor.kind).forEach((r, k) => byName.set(r.name, role === 'prologue' ? unused : (anchor.reads[k] as GpuStorage)));
      if (anchorWritten) anchorOut = this.#output(anchor.out, anchor.lane ?? 'loose');
      byName.set(anchor.kind === 'fwd' ? 'y' : 'dx', anchorOut ?? unused);
      byName.set('p', this.#uniform(dispatch.params.bytes()));
    }
    inputs.forEach((x, k) => byName.set(`in${k}`, x.storage as GpuStorage));
    const outs = steps.map((s, k) => {
      if (s.lane === undefined) return undefined;
      const out = this.#output({ shape, dtype: 'float32' }, s.lane);
      byName.set(`out${k}`, out);
      return out;
    });
    const kind = anchor?.kind ?? steps[0].kind;
    this.#launchBound(gen.name, kernel, byName, dispatch, undefined, kind === 'fwd' ? 'forward' : 'backward');
    return { anchor: anchorOut, steps: outs };
  }

  /** An op's forward and its VJP for input 0 in one dispatch (<op>_fwd_vjp), launched as the forward. */
  runFwdVjp(fwd: KernelCall, vjp: KernelCall): [Storage, Storage] {
    const { op } = fwd;
    const dispatch = this.#launch(fwd, undefined);
    const kernel = this.kernels.entry(op.name, `${op.name}_fwd_vjp`, () => fwdVjpBindings(op), dispatch.constants);
    const y = this.#output(fwd.out, fwd.lane ?? 'loose');
    const dx = this.#output(vjp.out, vjp.lane ?? 'loose');
    const byName = new Map<string, GpuStorage | GPUBuffer>([
      ...kernelReads(op, 'fwd').map((r, k): [string, GpuStorage] => [r.name, fwd.reads[k] as GpuStorage]),
      ...kernelReads(op, 'vjp').map((r, k): [string, GpuStorage] => [r.name, vjp.reads[k] as GpuStorage]),
      ['y', y],
      ['dx', dx],
      ['p', this.#uniform(dispatch.params.bytes())],
      ['err', this.#checks.buffer],
    ]);
    this.#launchBound(`${op.name}+${op.name}'`, kernel, byName, dispatch, fwd.site ?? unexplained(op.name), 'forward');
    return [y, dx];
  }

  /** A new output of `meta`'s shape, from the pool's `lane`. */
  #output(meta: Meta, lane: Lane): GpuStorage {
    const bytes = sizeOf(meta.shape) * 4;
    counters.liveTensors++;
    return new GpuStorage(this, this.#acquire(bytes, lane), bytes, meta.dtype);
  }

  /** Encodes one dispatch of `groups` workgroups (on a 2-D grid) with its bind group, from the cache. */
  #dispatch(op: string, kernel: Kernel, buffers: readonly (GpuStorage | GPUBuffer)[], groups: number, offsets: number[], phase: Phase): void {
    if (groups === 0) return;
    if (this.#profile) this.#profilePass(op, kernel, buffers, groups, phase);
    const pass = this.#beginPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, this.#bindGroup(kernel, buffers), offsets);
    pass.dispatchWorkgroups(...this.#grid(op, groups));
    counters.dispatches++;
    kernel.bindings.forEach((b, i) => {
      const x = buffers[i];
      if (!(x instanceof GpuStorage)) return;
      if (b.type === 'storage') counters.kernelBytesWritten += x.bytes;
      else counters.kernelBytesRead += x.bytes;
    });
    if (this.#profile) this.#endPass(); // profiled: one dispatch per pass, timed at both ends
    if (++this.#encoded >= MAX_ENCODED) this.flush(); // bounds a long synchronous loop's command buffer
  }

  /** `groups` workgroups on a 2-D grid: x, rows. */
  #grid(op: string, groups: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.min(groups, max);
    const rows = Math.ceil(groups / x);
    if (rows > max) fail(op, `needs ${groups} workgroups, over ${max} x ${max}`);
    return [x, rows];
  }

  /**
   * Bind groups by kernel and buffers: a step repeated with the same structure gets the same pooled
   * buffers back in the same order, so its bind groups are built once and reused.
   */
  #bindGroup(kernel: Kernel, buffers: readonly (GpuStorage | GPUBuffer)[]): GPUBindGroup {
    const key = kernel.key + buffers.map((b) => (b instanceof GpuStorage ? `,${bufferId(b.buffer)}:${b.bytes}` : `,u${bufferId(b)}`)).join('');
    let group = this.#bindGroups.get(key);
    if (!group) {
      if (this.#bindGroups.size >= 8192) this.#bindGroups.clear();
      const entries = kernel.bindings.map((b, i): GPUBindGroupEntry => {
        const x = buffers[i];
        const resource =
          x instanceof GpuStorage
            ? { buffer: x.buffer, offset: 0, size: Math.max(x.bytes, 4) }
            : b.dynamic
              ? { buffer: x, offset: 0, size: SLOT_BINDING }
              : { buffer: x };
        return { binding: b.binding, resource };
      });
      group = this.device.createBindGroup({ layout: kernel.layout, entries });
      this.#bindGroups.set(key, group);
      counters.bindGroups++;
    }
    return group;
  }

  endPlan(): void {
    if (!this.#encoder || this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  /** Submits the encoded plans, if any. Buffers released during them become free for any use. */
  flush(): void {
    if (!this.#encoder) return;
    this.#encoded = 0;
    this.#encodedUpdates.clear();
    this.#pass?.end();
    const readTimes = this.#profile?.timestamps?.resolve(this.#encoder);
    this.device.queue.submit([this.#encoder.finish()]);
    readTimes?.();
    counters.submits++;
    this.#encoder = null;
    this.#pass = null;
    for (const b of this.#releasedInPlan.splice(0)) this.#pool.release(b);
    this.#trim();
  }

  /** Gives idle memory back beyond the pool's budget (after a plan, or a value freed outside one). */
  #trim(): void {
    this.#pool.trim(this.maxPoolBytes ?? Math.max(64 * 2 ** 20, counters.liveBytes));
  }

  peek(storage: Storage): Values | undefined {
    return (storage as GpuStorage).host;
  }

  /**
   * Copies a value back, and with it the error slots of the checked kernels that ran before (one
   * mapping for both: no readback of its own). Throws what a kernel found, as the CPU would have.
   */
  async read(storage: Storage): Promise<Values> {
    const s = storage as GpuStorage;
    const slots = this.#checks.take();
    const staging = this.#staging.acquire(s.bytes + slots.bytes);
    // The copies go after the encoded plan, in its command buffer: one submit for both.
    const encoder = this.#copyEncoder();
    if (s.bytes > 0) encoder.copyBufferToBuffer(s.buffer, 0, staging, 0, s.bytes);
    if (slots.bytes > 0) {
      encoder.copyBufferToBuffer(this.#checks.buffer, 0, staging, s.bytes, slots.bytes);
      encoder.clearBuffer(this.#checks.buffer, 0, slots.bytes);
    }
    this.flush();
    counters.readbacks++;
    counters.bytesRead += s.bytes;
    const mapped = await this.#staging.read(staging, s.bytes + slots.bytes);
    const bytes = mapped.slice(0, s.bytes);
    const found = slots.bytes > 0 ? firstFound(new Uint32Array(mapped, s.bytes, slots.bytes / 4), slots.sites) : undefined;
    await this.#throwErrors();
    await this.#throwFound(found);
    return s.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
  }

  /** Waits for submitted work, then throws the first device, shader or kernel-check error seen so far. */
  async sync(): Promise<void> {
    this.#drain(); // submits the encoded work with the slots' copy after it
    await this.#tune.settled();
    await this.device.queue.onSubmittedWorkDone();
    await this.#throwErrors();
    await this.#throwFound(undefined);
  }

  /**
   * Reads the error slots used so far without waiting (when they fill up, or at sync()): the copy is
   * submitted after the work that wrote them, and what it finds is thrown by the next read or sync.
   */
  #drain(): void {
    const { sites, bytes } = this.#checks.take();
    if (bytes === 0) return this.flush();
    const staging = this.#staging.acquire(bytes);
    const encoder = this.#copyEncoder(); // after the encoded work, in the same submit
    encoder.copyBufferToBuffer(this.#checks.buffer, 0, staging, 0, bytes);
    encoder.clearBuffer(this.#checks.buffer, 0, bytes);
    this.flush();
    this.#drains.push(this.#staging.read(staging, bytes).then((slots) => firstFound(new Uint32Array(slots), sites)));
  }

  /** The plan's command encoder (a new one if none is open), outside any pass: for copies after the encoded work. */
  #copyEncoder(): GPUCommandEncoder {
    this.#endPass();
    return (this.#encoder ??= this.device.createCommandEncoder());
  }

  /** Throws the first thing a checked kernel found: in drained slots first (they ran earlier), then `found`. */
  async #throwFound(found: Found | undefined): Promise<void> {
    for (const drained of this.#drains.splice(0)) {
      const first = await drained;
      if (first) throw await first.site.explain(first.found);
    }
    if (found) throw await found.site.explain(found.found);
  }

  /** Throws a pending shader or device error once; a lost device keeps failing. */
  async #throwErrors(): Promise<void> {
    await this.kernels.check();
    const error = this.#error;
    if (!this.#lost) this.#error = null;
    if (error) throw error;
  }

  release(storage: Storage, lane?: Lane): void {
    const s = storage as GpuStorage;
    if (--s.refs > 0) return;
    counters.liveTensors--;
    if (lane) this.#pool.move(s.buffer, lane);
    if (this.#encoder)
      this.#releasedInPlan.push(s.buffer); // reusable by this plan's later dispatches only
    else {
      this.#pool.release(s.buffer);
      this.#trim();
    }
  }

  share(storage: Storage): Storage {
    (storage as GpuStorage).refs++;
    return storage;
  }

  own(storage: Storage): Storage {
    const s = storage as GpuStorage;
    if (s.refs === 1) return s;
    const copy = new GpuStorage(this, this.#acquire(s.bytes, 'loose'), s.bytes, s.dtype, s.host);
    counters.liveTensors++;
    // copies are encoded between passes, in order with the dispatches
    if (s.bytes > 0) this.#copyEncoder().copyBufferToBuffer(s.buffer, 0, copy.buffer, 0, s.bytes);
    this.release(s);
    return copy;
  }

  destroy(): void {
    this.live = false;
    this.#tune.close();
    this.flush();
    this.#pool.clear();
    for (const u of this.#uniforms.values()) u.destroy();
    this.#uniforms.clear();
    for (const u of this.#updateParams.values()) u.buffer.destroy();
    this.#checks.buffer.destroy();
    this.#unused?.destroy();
    this.#staging.clear();
    this.device.destroy();
  }

  #acquire(bytes: number, lane: Lane): GPUBuffer {
    // Within a plan, prefer buffers this plan already freed: the pass orders their reuse.
    const size = BufferPool.bucket(bytes);
    let best = -1; // the oldest match, as the pool does
    this.#releasedInPlan.forEach((b, i) => {
      if (b.size === size && this.#pool.laneOf(b) === lane && (best < 0 || bufferId(b) < bufferId(this.#releasedInPlan[best]))) best = i;
    });
    if (best >= 0) return this.#releasedInPlan.splice(best, 1)[0];
    return this.#pool.acquire(bytes, lane);
  }

  /**
   * The params of an update, in one buffer per parameter rewritten as they change (Adam's bias
   * corrections change every step): its bind group stays the same. A rewrite waits for the submit of
   * encoded work that still reads the old values (queue writes run before the pending submit).
   */
  #updateUniform(param: GpuStorage, kernel: string, bytes: ArrayBuffer): GPUBuffer {
    const key = `${kernel}:${bufferId(param.buffer)}`;
    let slot = this.#updateParams.get(key);
    if (!slot) {
      if (this.#updateParams.size >= 4096) {
        this.flush(); // parameters come and go (new models): drop the slots, as #uniform does
        for (const u of this.#updateParams.values()) u.buffer.destroy();
        this.#updateParams.clear();
        this.#bindGroups.clear();
      }
      const buffer = this.device.createBuffer({ size: bytes.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.#updateParams.set(key, (slot = { buffer, words: '' }));
    }
    const words = new Uint32Array(bytes).join(',');
    if (words !== slot.words) {
      if (this.#encodedUpdates.has(slot.buffer)) this.flush();
      this.device.queue.writeBuffer(slot.buffer, 0, bytes);
      slot.words = words;
    }
    this.#encodedUpdates.add(slot.buffer);
    return slot.buffer;
  }

  /** Uniform buffers by content: the same params in every step reuse one buffer. */
  #uniform(bytes: ArrayBuffer): GPUBuffer {
    const key = Array.from(new Uint32Array(bytes)).join(',');
    let buffer = this.#uniforms.get(key);
    if (!buffer) {
      if (this.#uniforms.size > 4096) {
        this.flush(); // NOTE: destroy only after submitting work that may still bind them
        for (const u of this.#uniforms.values()) u.destroy();
        this.#uniforms.clear();
        this.#bindGroups.clear(); // they reference the destroyed uniforms
      }
      buffer = this.device.createBuffer({ size: bytes.byteLength, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, bytes);
      this.#uniforms.set(key, buffer);
    }
    return buffer;
  }

  startProfile(): 'timestamp-query' | 'none' {
    this.flush();
    const timed = this.device.features.has('timestamp-query');
    this.#profile = { timestamps: timed ? new Timestamps(this.device) : null, untimed: [] };
    return timed ? 'timestamp-query' : 'none';
  }

  async stopProfile(): Promise<KernelTime[]> {
    this.flush();
    const profile = this.#profile;
    this.#profile = null;
    if (!profile) return [];
    return profile.timestamps ? profile.timestamps.done() : profile.untimed;
  }

  /** Starts a pass of its own for the next dispatch, timed at both ends when the device can. */
  #profilePass(op: string, kernel: Kernel, buffers: readonly (GpuStorage | GPUBuffer)[], groups: number, phase: Phase): void {
    const bytes = buffers.reduce((n, b) => n + (b instanceof GpuStorage ? b.bytes : 0), 0);
    const timed = { kernel: kernel.id, op, phase, workgroups: groups, bytes };
    const stamps = this.#profile!.timestamps;
    if (!stamps) {
      this.#profile!.untimed.push({ ...timed, ms: null });
      return;
    }
    if (stamps.full) this.flush();
    this.#endPass();
    this.#encoder ??= this.device.createCommandEncoder();
    this.#pass = this.#encoder.beginComputePass({ timestampWrites: stamps.pass(timed) });
  }

  #endPass(): void {
    this.#pass?.end();
    this.#pass = null;
  }

  #beginPass(): GPUComputePassEncoder {
    this.#encoder ??= this.device.createCommandEncoder();
    this.#pass ??= this.#encoder.beginComputePass();
    return this.#pass;
  }
}
