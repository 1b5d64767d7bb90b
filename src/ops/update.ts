/** What an optimizer update is: a fused in-place step over one parameter, with its CPU reference and kernel bindings. */
import type { FloatArray } from '../dtype.ts';
import type { Binding, Variants } from './spec.ts';
import type { Params } from './params.ts';

/**
 * An optimizer update: a fused, in-place step over one parameter, as an op with its own CPU
 * reference and WGSL kernel (shaders/<name>.wgsl, entry <name>_step). It reads the gradient and
 * rewrites the parameter and its state buffers (momentum, Adam's moments) in one pass. The shader
 * states one element's step once, as `fn <name>_update(x, grad, <each state>, q: P) -> vecNf`
 * (the new parameter, then each new state), which the kernels that update several parameters in
 * one dispatch call too (src/backend/webgpu/fused.ts).
 */
export interface UpdateSpec<H> {
  /** snake_case; also the shader file stem and the kernel entry prefix. */
  readonly name: string;
  /** Per-parameter state buffers, zero before the first step, bound after the parameter. */
  readonly state: readonly string[];
  /** The uniform `p` of the kernel for one step over `n` elements. */
  params(n: number, h: H): Params;
  /** CPU reference: rewrites param and state in place from grad, in float64 arithmetic. */
  step(param: FloatArray, grad: FloatArray, state: readonly FloatArray[], h: H): void;
  readonly test: UpdateTests<H>;
}

/**
 * Elements per invocation of an update kernel (the WGSL override SPAN): each invocation steps
 * elements i, i + T, i + 2T, ... (T invocations in all). GPUs want many invocations; SwiftShader
 * runs workgroups on a few CPU threads, each with a cost, and wants few: 4.7 ms per step of a
 * 784x256 parameter at 4 per invocation, 1.9 ms at 64. Chosen per device by measurement (autotune).
 */
export const SPANS: Variants = { names: ['1', '4', '16', '64'], software: '16', hardware: '1' };

export interface UpdateTests<H> {
  /** Hand-computed steps: `steps` applied in order from param, zero state and the gradients given. */
  readonly golden: readonly { readonly param: number[]; readonly grads: number[][]; readonly hypers: H[]; readonly want: number[] }[];
  /** Hyperparameters the GPU kernel is checked with against the reference (several steps each). */
  readonly hypers: readonly H[][];
}

export type AnyUpdateSpec = UpdateSpec<any>;

/** Bindings of <name>_step: p = 0 (uniform), grad = 1 (read-only), param = 2, state 3.. (read_write). */
export function updateBindings(spec: AnyUpdateSpec): Binding[] {
  return [
    { name: 'p', binding: 0, type: 'uniform' },
    { name: 'grad', binding: 1, type: 'read-only-storage' },
    { name: 'param', binding: 2, type: 'storage' },
    ...spec.state.map((name, i): Binding => ({ name, binding: 3 + i, type: 'storage' })),
  ];
}
