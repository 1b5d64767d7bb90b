/** Element types and typed arrays. */
import { fail } from './errors.ts';
/**
 * Element types. float32 is the working type on every device; int32 holds labels and indices;
 * float64 exists on the CPU reference only, for finite differences and gradcheck.
 */
export type DType = 'float32' | 'int32' | 'float64';

export const DTYPES: readonly DType[] = ['float32', 'int32', 'float64'];

/** Throws an OpError naming `op` unless `dtype` is one of DTYPES (or undefined: the default). */
export function checkDType(op: string, dtype: unknown): DType | undefined {
  if (dtype !== undefined && !DTYPES.includes(dtype as DType))
    fail(op, `unknown dtype ${JSON.stringify(dtype) ?? String(dtype)} (expected ${DTYPES.join(', ')})`);
  return dtype as DType | undefined;
}

export type FloatArray = Float32Array | Float64Array;
export type Values = FloatArray | Int32Array;

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}

export function allocate(dtype: DType, n: number): Values {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

/** Result type of a float op: float64 if any float input is float64 (as in PyTorch), else float32. */
export function promoteFloat(dtypes: readonly DType[]): DType {
  return dtypes.includes('float64') ? 'float64' : 'float32';
}

export function dtypeOf(values: Values): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  return 'int32';
}
