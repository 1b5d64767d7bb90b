/** Linear: y = x W + b, with He or Xavier initial weights and torch.nn.Linear's state dict layout. */
import { fail } from '../errors.ts';
import { normals, rng } from '../random.ts';
import { noGrad } from '../grad-mode.ts';
import type { Meta } from '../ops/spec.ts';
import { tensor, zeros, type Tensor } from '../tensor.ts';
import { Module, weightAndBias } from './module.ts';

export interface LinearOptions {
  /** Seed of the initial weights (same seed, same weights on every device). */
  seed?: number;
  /** 'he' (default): N(0, 2/in), for ReLU nets; 'xavier': N(0, 2/(in + out)), for tanh/linear. */
  init?: 'he' | 'xavier';
  /** Default true. */
  bias?: boolean;
}

/**
 * y = x W + b with W [in, out] (x [N, in] @ W, as in the lecture: no transpose per step) and b [out],
 * zero at the start. stateDict() gives "weight" as [out, in], torch.nn.Linear's layout.
 */
export class Linear extends Module {
  override readonly typeName: string = 'Linear';
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    for (const [name, v] of [
      ['in', inFeatures],
      ['out', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) fail('Linear', `${name} features must be a positive integer, got ${v}`);
    }
    const init = options.init ?? 'he';
    if (init !== 'he' && init !== 'xavier') fail('Linear', `init must be 'he' or 'xavier', got ${JSON.stringify(init)}`);
    const std = Math.sqrt(init === 'he' ? 2 / inFeatures : 2 / (inFeatures + outFeatures));
    const values = Float32Array.from(normals(inFeatures * outFeatures, rng(options.seed)), (v) => v * std);
    this.weight = tensor(values, [inFeatures, outFeatures], { requiresGrad: true });
    this.bias = options.bias === false ? null : zeros([outFeatures], { requiresGrad: true });
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 1 || x.shape[x.ndim - 1] !== this.inFeatures) {
      fail('Linear', `input ${x.shapeString} must end in ${this.inFeatures} features`);
    }
    const y = x.matmul(this.weight);
    return this.bias ? y.add(this.bias) : y;
  }

  override namedParameters(): [string, Tensor][] {
    return weightAndBias(this.weight, this.bias);
  }

  override stateDict(): Record<string, Tensor> {
    // Snapshots: the transpose is computed before any later step changes the weight, and the bias
    // copy shares the value until a step writes the parameter (copy-on-write).
    const state: Record<string, Tensor> = { weight: noGrad(() => this.weight.transpose()) };
    if (this.bias) state.bias = this.bias.detach();
    return state;
  }

  override stateMeta(): Record<string, Meta> {
    const meta = super.stateMeta();
    return { ...meta, weight: { shape: [this.outFeatures, this.inFeatures], dtype: this.weight.dtype } };
  }

  override loadFrom(value: (name: string) => Tensor): void {
    super.loadFrom((name) => (name === 'weight' ? value(name).transpose() : value(name)));
  }
}
