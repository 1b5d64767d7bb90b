/**
 * An op as users call it, `cr.<name>(...)` and the Tensor method of the same name: a function made
 * from the op's spec. The spec's `call` maps the user's arguments to inputs and attrs; the graph
 * layer installs the recorder that turns them into a node (ops/ never imports the graph).
 */
import { fail, InternalError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import type { AnyOpSpec, Call } from './spec.ts';

/** cr.<name>: the op's function, typed by its spec's `call`, with the spec attached. */
export type OpFunction<P extends unknown[]> = ((...args: P) => Tensor) & { readonly spec: AnyOpSpec };

type Recorder = (spec: AnyOpSpec, call: Call<unknown>) => Tensor;
let recorder: Recorder | undefined;

/** Installs how a call becomes a node (tensor.ts does, when it loads). */
export function setRecorder(r: Recorder): void {
  recorder = r;
}

/** The user-facing function of an op. */
export function defineOp<S extends AnyOpSpec>(spec: S): OpFunction<Parameters<S['call']>> {
  const op = (...args: Parameters<S['call']>): Tensor => {
    if (!recorder) throw new InternalError(`${spec.name}: called before chainrule's graph layer loaded`);
    return recorder(spec, spec.call(...args));
  };
  return Object.assign(op, { spec });
}

/** The rank of x, after checking it is a tensor (for calls that normalize axes). */
export function ndimOf(op: string, x: unknown, name = 'x'): number {
  const shape = (x as { shape?: unknown } | null)?.shape;
  if (typeof x !== 'object' || x === null || !Array.isArray(shape)) fail(op, `${name} must be a Tensor, got ${describeArg(x)}`);
  return shape.length;
}

/** How an argument is described in a message: "an array (wrap it with cr.tensor)", "null", "number". */
export function describeArg(value: unknown): string {
  if (Array.isArray(value)) return 'an array (wrap it with cr.tensor)';
  return value === null ? 'null' : typeof value;
}
