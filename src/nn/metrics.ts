/** RunningMean: a mean accumulated on the device, read back on demand. */
import { noGrad } from '../grad-mode.ts';
import { fail } from '../errors.ts';
import type { Tensor } from '../tensor.ts';

/**
 * A running mean of scalar tensors (a loss, an accuracy) kept on the device: add() records and
 * computes the new sum in the current plan (so it shares the training step's submit), and only
 * read() copies a number back, e.g. every 100 steps.
 */
export class RunningMean {
  #sum: Tensor | null = null;
  #weight = 0;

  /** Adds a scalar tensor with a weight (e.g. the batch size, for a mean over examples). */
  add(value: Tensor, weight = 1): void {
    if (value.size !== 1) fail('RunningMean', `add() takes a one-element tensor, got ${value.shapeString}`);
    if (!(weight > 0 && Number.isFinite(weight))) fail('RunningMean', `weight must be a positive number, got ${weight}`);
    this.#sum = noGrad(() => {
      const v = value.reshape([]).mul(weight);
      return this.#sum ? this.#sum.add(v) : v;
    }).realize(); // computed now, so the chain of sums never grows
    this.#weight += weight;
  }

  /** The total weight added since the last reset. */
  get count(): number {
    return this.#weight;
  }

  /** The mean since the last reset (NaN if nothing was added): one readback. */
  async read(): Promise<number> {
    return this.#sum ? (await this.#sum.item()) / this.#weight : NaN;
  }

  /** Reads the mean and starts again. */
  async readAndReset(): Promise<number> {
    const mean = await this.read();
    this.reset();
    return mean;
  }

  reset(): void {
    this.#sum = null;
    this.#weight = 0;
  }
}
