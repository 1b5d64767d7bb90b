/** Kernel params (the uniform `p`) built field by field, the launch sizes, and the workgroup size. */
import { fail } from '../errors.ts';
import { formatShape } from '../shape.ts';

/** Largest rank a WebGPU kernel takes: shapes and strides travel as array<vec4u, 2> in the params. */
export const MAX_DIMS = 8;

/**
 * Invocations per workgroup of every kernel, its one source: each WGSL module starts with
 * `const WG: u32 = WORKGROUP;` (src/backend/webgpu/kernels.ts), and launches divide by it.
 */
export const WORKGROUP = 64;

/**
 * The uniform `p` of a kernel, built field by field in the order of its WGSL struct. Scalars take
 * one 4-byte word; dims() starts at a 16-byte boundary and takes MAX_DIMS words (array<vec4u, 2>).
 */
export class Params {
  readonly words: number[] = [];
  readonly kinds: ('u32' | 'i32' | 'f32')[] = [];

  u32(...values: number[]): this {
    for (const v of values) this.push(v, 'u32');
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.push(v, 'i32');
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.push(v, 'f32');
    return this;
  }

  /** MAX_DIMS unsigned values (shape or strides), zero-padded, 16-byte aligned. */
  dims(values: readonly number[], op = 'kernel'): this {
    if (values.length > MAX_DIMS) fail(op, `tensors of rank ${values.length} ${formatShape(values)} exceed the ${MAX_DIMS} dimensions WebGPU kernels take`);
    while (this.words.length % 4 !== 0) this.push(0, 'u32');
    for (let i = 0; i < MAX_DIMS; i++) this.push(values[i] ?? 0, 'u32');
    return this;
  }

  /** The bytes of the uniform buffer (a multiple of 16). */
  bytes(): ArrayBuffer {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const buffer = new ArrayBuffer(n * 4);
    const [u, i, f] = [new Uint32Array(buffer), new Int32Array(buffer), new Float32Array(buffer)];
    this.words.forEach((w, k) => {
      if (this.kinds[k] === 'f32') f[k] = w;
      else if (this.kinds[k] === 'i32') i[k] = w;
      else u[k] = w;
    });
    return buffer;
  }

  private push(v: number, kind: 'u32' | 'i32' | 'f32'): void {
    this.words.push(v);
    this.kinds.push(kind);
  }
}

/** A kernel launch: `threads` invocations (in workgroups of WORKGROUP), or `groups` whole workgroups. */
export interface Dispatch {
  readonly threads?: number;
  readonly groups?: number;
  readonly params: Params;
  /**
   * Pipeline constants (WGSL `override`s): one pipeline per distinct set, compiled once, so the
   * compiler folds them (loop bounds, strides) where a kernel is worth specializing (matmul).
   */
  readonly constants?: Readonly<Record<string, number>>;
}
