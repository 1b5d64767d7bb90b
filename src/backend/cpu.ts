/** The reference device: values are typed arrays in JS memory, kernels are the specs' CPU code. */
import { allocate, type Values } from '../dtype.ts';
import { assert } from '../errors.ts';
import { runReference, type Arg } from '../ops/spec.ts';
import { sizeOf } from '../shape.ts';
import type { Backend, KernelTime, Storage } from './backend.ts';

class CpuStorage implements Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly values: Values,
  ) {}

  get bytes(): number {
    return this.values.byteLength;
  }
}

// The kernels run since startProfile(), timed by the CPU's clock; null when not profiling.
let profiling: KernelTime[] | null = null;

export const cpu: Backend = {
  name: 'cpu',
  live: true,
  upload(values) {
    return new CpuStorage(cpu, values);
  },
  run({ op, kind, wrt, attrs, reads, readMetas, inputs, out }) {
    const args = reads.map((s, k): Arg => {
      assert(s instanceof CpuStorage, `${op.name}_${kind}: read ${k} is not on the CPU`);
      return { ...readMetas[k], data: s.values };
    });
    const y: Arg = { ...out, data: allocate(out.dtype, sizeOf(out.shape)) };
    const t0 = profiling ? performance.now() : 0;
    runReference(op, kind, wrt, attrs, args, inputs, y);
    if (profiling) {
      const bytes = args.reduce((n, a) => n + a.data.byteLength, y.data.byteLength);
      profiling.push({
        kernel: `${op.name}_${kind}`,
        op: op.name,
        phase: kind === 'fwd' ? 'forward' : 'backward',
        workgroups: 0,
        bytes,
        ms: performance.now() - t0,
      });
    }
    return new CpuStorage(cpu, y.data);
  },
  startProfile() {
    profiling = [];
    return 'cpu-clock';
  },
  async stopProfile() {
    const times = profiling ?? [];
    profiling = null;
    return times;
  },
  update(spec, hyper, items) {
    const values = (s: Storage) => {
      assert(s instanceof CpuStorage && !(s.values instanceof Int32Array), `${spec.name}: an update reads float values on the CPU`);
      return s.values;
    };
    for (const { grad, param, state } of items) {
      const t0 = profiling ? performance.now() : 0;
      spec.step(values(param), values(grad), state.map(values), hyper);
      const bytes = [grad, param, ...state].reduce((n, s) => n + s.bytes, 0);
      profiling?.push({ kernel: `${spec.name}_step`, op: spec.name, phase: 'update', workgroups: 0, bytes, ms: performance.now() - t0 });
    }
  },
  flush() {},
  endPlan() {},
  async sync() {},
  share(storage) {
    (storage as CpuStorage).refs++;
    return storage;
  },
  own(storage) {
    const s = storage as CpuStorage;
    if (s.refs === 1) return s;
    s.refs--;
    return new CpuStorage(cpu, s.values.slice());
  },
  release(storage) {
    (storage as CpuStorage).refs--; // the garbage collector frees typed arrays
  },
  checkSize() {},
  checkFinite(storage) {
    const v = (storage as CpuStorage).values;
    let count = 0;
    let position = -1;
    for (let i = 0; i < v.length; i++) {
      if (Number.isFinite(v[i])) continue;
      if (count++ === 0) position = i;
    }
    return count > 0 ? { count, position, value: v[position] } : undefined;
  },
  peek(storage) {
    return storage instanceof CpuStorage ? storage.values : undefined;
  },
  async read(storage) {
    assert(storage instanceof CpuStorage, 'cpu.read of a foreign storage');
    return storage.values.slice();
  },
};
