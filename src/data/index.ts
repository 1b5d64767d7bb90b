/** cr.data: MNIST, the CS231n spiral, and minibatches gathered on the device. */
export { mnist, mnistFiles, mnistFromBytes, type MnistFiles, type MnistOptions, type Split } from './mnist.ts';
export { parseIdx } from './idx.ts';
export { spiral, type SpiralOptions } from './spiral.ts';
export { batches, Batches, type Batch, type BatchOptions } from './batches.ts';
