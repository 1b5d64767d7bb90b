import { allocate, type Values } from '../dtype.ts';
import { assert } from '../errors.ts';
import type { Node } from '../graph.ts';
import type { Arg, Meta } from '../ops/spec.ts';
import { sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import type { Backend, Storage } from './backend.ts';

/** The reference device: values are typed arrays in JS memory, kernels are the specs' CPU code. */
class CpuStorage implements Storage {
  constructor(
    readonly backend: Backend,
    readonly values: Values,
  ) {}
}


export const cpu: Backend = {
  name: 'cpu',
  upload(values) {
    return new CpuStorage(cpu, values);
  },
  run(node: Node, out: Meta, input: (t: Tensor) => Storage) {
    const argOf = (t: Tensor): Arg => {
      const s = input(t);
      assert(s instanceof CpuStorage, `${t} is not on the CPU`);
      return { shape: t.shape, dtype: t.dtype, data: s.values };
    };
    const y: Arg = { ...out, data: allocate(out.dtype, sizeOf(out.shape)) };
    if (node.kind === 'fwd') {
      node.op.fwd(node.inputs.map(argOf), y, node.attrs);
    } else {
      assert(node.op.vjp, `${node.op.name} has no VJP`);
      const ctx = {
        x: node.x.map((t) => (t ? argOf(t) : null)),
        xMeta: node.xMeta,
        y: node.y ? argOf(node.y) : null,
        dy: argOf(node.dy),
        attrs: node.attrs,
      };
      node.op.vjp(ctx, node.wrt, y);
    }
    return new CpuStorage(cpu, y.data);
  },
  update(spec, hyper, _n, grad, param, state) {
    const values = (s: Storage) => {
      assert(s instanceof CpuStorage && !(s.values instanceof Int32Array), `${spec.name}: an update reads float values on the CPU`);
      return s.values;
    };
    spec.step(values(param), values(grad), state.map(values), hyper);
  },
  flush() {},
  endPlan() {},
  async sync() {},
  share: (storage) => storage,
  release() {}, // the garbage collector frees typed arrays
  checkSize() {},
  peek(storage) {
    return storage instanceof CpuStorage ? storage.values : undefined;
  },
  async read(storage) {
    assert(storage instanceof CpuStorage, 'cpu.read of a foreign storage');
    return storage.values.slice();
  },
};
