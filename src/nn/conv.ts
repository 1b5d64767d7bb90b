/** Convolutional layers with torch.nn's names and layouts: Conv2d, MaxPool2d, AvgPool2d, Flatten, Unflatten. */
import { fail } from '../errors.ts';
import { normals, rng } from '../random.ts';
import { tensor, zeros, type Tensor } from '../tensor.ts';
import { conv2d } from '../ops/conv2d.ts';
import { maxPool2d } from '../ops/max_pool2d.ts';
import { avgPool2d } from '../ops/avg_pool2d.ts';
import { Linear } from './linear.ts';
import { Module, ReLU, Sequential, weightAndBias } from './module.ts';

type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Seed of the initial weights (same seed, same weights on every device). */
  seed?: number;
}

/**
 * y = conv2d(x, weight, bias) on NCHW input, weight [out, in / groups, kh, kw] and bias [out]: the
 * layout and state dict names of torch.nn.Conv2d. Weights start He-normal (N(0, 2 / fan_in), fan_in
 * = in / groups * kh * kw, as Linear's), the bias at zero.
 */
export class Conv2d extends Module {
  override readonly typeName: string = 'Conv2d';
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    readonly options: Conv2dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
      ['groups', groups],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) fail('Conv2d', `${name} must be a positive integer, got ${v}`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0)
      fail('Conv2d', `groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (![kh, kw].every((k) => Number.isInteger(k) && k >= 1))
      fail('Conv2d', `kernelSize must be a positive integer or two, got ${JSON.stringify(kernelSize)}`);
    this.kernelSize = [kh, kw];
    const fanIn = (inChannels / groups) * kh * kw;
    const n = outChannels * fanIn;
    const std = Math.sqrt(2 / fanIn);
    this.weight = tensor(
      Float32Array.from(normals(n, rng(options.seed)), (v) => v * std),
      [outChannels, inChannels / groups, kh, kw],
      { requiresGrad: true },
    );
    this.bias = options.bias === false ? null : zeros([outChannels], { requiresGrad: true });
  }

  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.options;
    return conv2d(x, this.weight, this.bias ?? undefined, { stride, padding, dilation, groups });
  }

  override namedParameters(): [string, Tensor][] {
    return weightAndBias(this.weight, this.bias);
  }
}

/** Options of the pooling layers: stride defaults to the kernel size, padding to 0. */
export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

/** A pooling layer: a window size, a stride (default: the window) and padding; no parameters. */
abstract class Pool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride?: Pair,
    readonly padding: Pair = 0,
  ) {
    super();
  }

  protected get options() {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }
}

/** The maximum of each window (torch.nn.MaxPool2d). */
export class MaxPool2d extends Pool2d {
  override readonly typeName: string = 'MaxPool2d';
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
}

/** The mean of each window, padding counted as zeros (torch.nn.AvgPool2d's defaults). */
export class AvgPool2d extends Pool2d {
  override readonly typeName: string = 'AvgPool2d';
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }
}

/** Flattens the axes from startDim on (torch.nn.Flatten: startDim 1 keeps the batch axis). */
export class Flatten extends Module {
  override readonly typeName: string = 'Flatten';
  constructor(readonly startDim = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim);
  }
}

/** Splits axis `dim` into `sizes` (torch.nn.Unflatten): Unflatten(1, [1, 28, 28]) turns MNIST rows into images. */
export class Unflatten extends Module {
  override readonly typeName: string = 'Unflatten';
  constructor(
    readonly dim: number,
    readonly sizes: readonly number[],
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const dim = this.dim < 0 ? this.dim + x.ndim : this.dim;
    if (!Number.isInteger(dim) || dim < 0 || dim >= x.ndim) fail('Unflatten', `dim ${this.dim} is out of range for input ${x.shapeString}`);
    const size = this.sizes.reduce((a, b) => a * b, 1);
    if (size !== x.shape[dim])
      fail('Unflatten', `sizes ${JSON.stringify(this.sizes)} hold ${size} values, axis ${dim} of ${x.shapeString} has ${x.shape[dim]}`);
    return x.reshape([...x.shape.slice(0, dim), ...this.sizes, ...x.shape.slice(dim + 1)]);
  }
}

/**
 * A small convolutional network for 28x28 images given as rows of 784 (MNIST): Unflatten, then
 * conv 5x5 (1 -> c1), ReLU, 2x2 max pool, conv 5x5 (c1 -> c2), ReLU, 2x2 max pool, Flatten,
 * Linear(c2 * 16, hidden), ReLU, Linear(hidden, classes). Layer k is seeded with seed + k.
 */
export function cnn(options: { channels?: readonly [number, number]; hidden?: number; classes?: number; seed?: number } = {}): Sequential {
  const [c1, c2] = options.channels ?? [8, 16];
  const hidden = options.hidden ?? 128;
  const classes = options.classes ?? 10;
  const seed = (k: number) => (options.seed === undefined ? undefined : options.seed + k);
  return new Sequential(
    new Unflatten(1, [1, 28, 28]),
    new Conv2d(1, c1, 5, { seed: seed(1) }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c1, c2, 5, { seed: seed(4) }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(c2 * 16, hidden, { seed: seed(8) }),
    new ReLU(),
    new Linear(hidden, classes, { seed: seed(10) }),
  );
}
