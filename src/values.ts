/** Leaf values from host data: uploads (tensor(), zeros(), data sets) and the cached scalar constants of numbers in ops. */
import { backendFor } from './device.ts';
import { allocate, dtypeOf, type DType, type Values } from './dtype.ts';
import { Value } from './graph.ts';
import type { Shape } from './shape.ts';

/** A leaf holding `values` on the device that computes their dtype (float64 stays on the CPU). */
export function upload(values: Values, shape: Shape, requiresGrad = false): Value {
  const dtype = dtypeOf(values);
  return new Value({ shape, dtype }, { storage: backendFor(dtype).upload(values), requiresGrad });
}

// Scalar constants (numbers in ops, the seed of backward) are uploaded once per device and value.
const constants = new WeakMap<object, Map<string, Value>>();
const cached = new WeakSet<Value>();

/** A cached scalar leaf holding `value`: numbers in binary ops, the seed 1 of backward. */
export function scalar(value: number, dtype: DType): Value {
  const backend = backendFor(dtype);
  let cache = constants.get(backend);
  if (!cache) constants.set(backend, (cache = new Map()));
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  let v = cache.get(key);
  if (!v) {
    if (cache.size >= 1024) cache.clear();
    const values = allocate(dtype, 1);
    values[0] = value;
    cache.set(key, (v = new Value({ shape: [], dtype }, { storage: backend.upload(values), traced: false })));
    cached.add(v);
  }
  return v;
}

/** True for the shared scalar constants of scalar(): never a parameter, never updated in place. */
export function isCachedConstant(v: Value): boolean {
  return cached.has(v);
}
