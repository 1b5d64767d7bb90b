/** MLP: Linear and ReLU layers in a Sequential, by sizes. */
import { fail } from '../errors.ts';
import { Linear, type LinearOptions } from './linear.ts';
import { ReLU, Sequential, type Module } from './module.ts';

/**
 * A ReLU network: MLP([784, 256, 10]) is Linear(784, 256), ReLU, Linear(256, 10), giving scores
 * (logits) for the losses. Layer k's weights are seeded with seed + k, so a seed fixes the model.
 */
export class MLP extends Sequential {
  override readonly typeName: string = 'MLP';
  readonly sizes: readonly number[];

  constructor(sizes: readonly number[], options: Omit<LinearOptions, 'bias'> = {}) {
    if (!Array.isArray(sizes) || sizes.length < 2)
      fail('MLP', `sizes must list at least an input and an output size, e.g. [784, 256, 10], got ${JSON.stringify(sizes)}`);
    const layers: Module[] = [];
    for (let k = 0; k + 1 < sizes.length; k++) {
      if (k > 0) layers.push(new ReLU());
      const seed = options.seed === undefined ? undefined : options.seed + k;
      layers.push(new Linear(sizes[k], sizes[k + 1], { ...options, seed }));
    }
    super(...layers);
    this.sizes = [...sizes];
  }
}
