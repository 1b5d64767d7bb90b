/**
 * chainrule: tensors, reverse-mode autograd with a forward and a VJP per op, an independent CPU
 * reference for every op, and numerical gradient checks. See README.md for the tour.
 */
export {
  init,
  deviceInfo,
  dispose,
  tuning,
  fusedKernels,
  DeviceError,
  type DeviceInfo,
  type DeviceName,
  type FusedKernel,
  type InitOptions,
  type Tuned,
} from './device.ts';
export { sync } from './executor.ts';
export { stats, resetStats, type Stats } from './stats.ts';
export { memory, type MemoryReport, type MemoryByOrigin } from './memory.ts';
export { profile, type Profile, type ProfileOptions, type KernelRow } from './profile.ts';
export { graph, GraphData, type GraphNode, type GraphEdge, type GraphOptions, type Summary } from './graphview.ts';
export type { KernelTime, Phase } from './backend/backend.ts';
export { VerifyError } from './verify.ts';
export {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  randn,
  rand,
  realizeAll as realize,
  type NestedArray,
  type TensorLike,
  type TensorOptions,
  type RandomOptions,
} from './tensor.ts';
export { noGrad } from './grad-mode.ts';
export { gradcheck, GradcheckError, type GradcheckOptions } from './gradcheck.ts';
export { ChainruleError, OpError, InternalError, GpuError, ShaderError, NumericsError } from './errors.ts';
export type { DType } from './dtype.ts';
export type { Shape } from './shape.ts';
export * from './ops/index.ts'; // every op: cr.add, cr.softmax, ...
export { registry, updates } from './ops/registry.ts';
export type { UpdateSpec, AnyUpdateSpec } from './ops/update.ts';
export * as optim from './optim/index.ts';
export * as nn from './nn/index.ts';
export * as data from './data/index.ts';
export * as io from './io/index.ts';
export { kernelBindings, type OpSpec, type AnyOpSpec } from './ops/spec.ts';
