import { describe, expect, it } from 'vitest';
import { backendFor } from '../../src/device.ts';
import { fail, OpError } from '../../src/errors.ts';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors, type RawTensor } from '../../src/io/safetensors.ts';
import { liveValues as liveTensors } from '../../src/graph.ts';
import { tensor, Tensor } from '../../src/tensor.ts';

// No init(): chainrule computes on the CPU reference until init is called, so none of this needs a GPU.

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const le64 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];
const f32 = (...xs: number[]): number[] => [...new Uint8Array(new Float32Array(xs).buffer)]; // the tests run on little-endian hosts
const i32 = (...xs: number[]): number[] => [...new Uint8Array(new Int32Array(xs).buffer)];

/** A file built by hand: the length field, the header text exactly as given, then the data bytes. */
function file(header: string, data: number[] = [], headerLength = new TextEncoder().encode(header).length): Uint8Array {
  return new Uint8Array([...le64(headerLength), ...new TextEncoder().encode(header), ...data]);
}

/** A file with one header object (serialized compactly) and its data. */
function fileOf(header: unknown, data: number[] = []): Uint8Array {
  return file(JSON.stringify(header), data);
}

function opError(fn: () => unknown, op: string, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${pattern}`).toBeInstanceOf(OpError);
  expect((error as Error).message.startsWith(`${op}: `)).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

const loadError = (bytes: unknown, pattern: RegExp): void => opError(() => decodeSafetensors(bytes as Uint8Array), 'loadSafetensors', pattern);
const saveError = (fn: () => unknown, pattern: RegExp): void => opError(fn, 'saveSafetensors', pattern);

/** The header JSON of an encoded file (without the padding). */
function headerOf(bytes: Uint8Array): { n: number; json: string } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd() };
}

const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

describe('safetensors format', () => {
  it('round-trips float32, int32 and float64 tensors, a 0-d scalar, an empty tensor and metadata', () => {
    const tensors: Record<string, RawTensor> = {
      w: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2.5, 3, Math.PI, -0, 1e-30]) },
      labels: { dtype: 'int32', shape: [4], data: new Int32Array([0, -1, 2 ** 31 - 1, -(2 ** 31)]) },
      x64: { dtype: 'float64', shape: [2, 1], data: new Float64Array([Math.PI, -1e300]) },
      scalar: { dtype: 'float32', shape: [], data: new Float32Array([7]) },
      empty: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
      special: { dtype: 'float32', shape: [3], data: new Float32Array([NaN, Infinity, -Infinity]) },
    };
    const metadata = { format: 'pt', note: 'ünïcödé ✓ "quoted"' };
    const bytes = encodeSafetensors(tensors, metadata);
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const d = decoded.tensors[name];
      expect(d.dtype, name).toBe(t.dtype);
      expect(d.shape, name).toEqual(t.shape);
      expect(d.data, name).toBeInstanceOf(t.data.constructor);
      expect(d.data, name).toEqual(t.data);
    }
    expect(Object.is(decoded.tensors.w.data[4], -0)).toBe(true);
    // Decoded values own their memory: changing the file afterwards changes nothing.
    bytes.fill(0);
    expect(decoded.tensors.w.data[0]).toBe(1);
    expect(decoded.tensors.x64.data[1]).toBe(-1e300);
  });

  it('writes a one-tensor file byte for byte as the spec says', () => {
    // {"a": F32 [2] = [1, 2]}: the header is 54 bytes of JSON + 2 spaces = 56, a multiple of 8.
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(54);
    const expected = new Uint8Array([
      ...[56, 0, 0, 0, 0, 0, 0, 0],
      ...ascii(json),
      ...ascii('  '),
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f little-endian
      ...[0x00, 0x00, 0x00, 0x40], // 2.0f
    ]);
    const bytes = encodeSafetensors({ a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } });
    expect([...bytes]).toEqual([...expected]);
    const back = decodeSafetensors(expected);
    expect(back.tensors.a).toEqual({ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) });
    expect(back.metadata).toEqual({});
  });

  it('writes the metadata first, and an empty file as {} padded to 8 bytes', () => {
    expect([...encodeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
    const json = '{"__metadata__":{"framework":"pt"}}'; // 35 bytes + 5 spaces
    expect([...encodeSafetensors({}, { framework: 'pt' })]).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...ascii(json), ...ascii('     ')]);
    // I32 [2,2] = [1,2,3,4] with metadata: int32 bytes little-endian, header 88 bytes = 82 + 6 spaces.
    const withData = '{"__metadata__":{"k":"v"},"t":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';
    expect(withData.length).toBe(82);
    const bytes = encodeSafetensors({ t: { dtype: 'int32', shape: [2, 2], data: new Int32Array([1, 2, 3, 4]) } }, { k: 'v' });
    expect([...bytes]).toEqual([88, 0, 0, 0, 0, 0, 0, 0, ...ascii(withData), ...ascii('      '), 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
  });

  it('orders tensors as the reference does (F64, then F32, then I32, each by name), contiguous and aligned', () => {
    const bytes = encodeSafetensors({
      b: { dtype: 'float32', shape: [1], data: new Float32Array([1]) },
      '10': { dtype: 'int32', shape: [1], data: new Int32Array([2]) },
      '2': { dtype: 'int32', shape: [1], data: new Int32Array([3]) },
      a: { dtype: 'float32', shape: [1], data: new Float32Array([4]) },
      z: { dtype: 'float64', shape: [1], data: new Float64Array([5]) },
    });
    const { n, json } = headerOf(bytes);
    expect(n % 8).toBe(0);
    // Written in this order, not JavaScript's object-key order (which puts "2" and "10" first).
    expect(json).toBe(
      '{"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"10":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},' +
        '"2":{"dtype":"I32","shape":[1],"data_offsets":[20,24]}}',
    );
    expect(bytes.length).toBe(8 + n + 24);
    const back = decodeSafetensors(bytes).tensors;
    expect([back.z.data[0], back.a.data[0], back.b.data[0], back['10'].data[0], back['2'].data[0]]).toEqual([5, 4, 1, 2, 3]);
  });

  it('reads a hand-written header with keys in another order, whitespace, and an unaligned data start', () => {
    // "b" is listed first but stored second; trailing spaces put the data at an odd offset.
    const text = `{
      "b" : { "shape" : [ 2 ], "data_offsets" : [ 8 , 16 ] , "dtype" : "I32" } ,
      "__metadata__" : { "author" : "by hand" },
      "a" : {"data_offsets":[0,8],"dtype":"F32",   "shape":[2]}
    }`;
    const header = text + ' '.repeat(5 - ((8 + text.length) % 4));
    const bytes = file(header, [...f32(1.5, -2), ...i32(7, -8)]);
    expect((8 + header.length) % 4).toBe(1);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ author: 'by hand' });
    expect(tensors.a).toEqual({ dtype: 'float32', shape: [2], data: new Float32Array([1.5, -2]) });
    expect(tensors.b).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([7, -8]) });
  });

  it('accepts an ArrayBuffer and a Uint8Array view at an odd offset (as Node Buffers can be)', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeSafetensors(shifted.subarray(3)).tensors.a.data).toEqual(new Float64Array([1, 2]));
    expect(decodeSafetensors(bytes.slice().buffer).tensors.a.data).toEqual(new Float64Array([1, 2]));
  });

  it('keeps a tensor named "__proto__" as an entry, not a prototype', () => {
    const raw = JSON.parse('{"__proto__": {"dtype": "float32", "shape": [1], "data": null}}');
    raw.__proto__.data = new Float32Array([3]);
    const back = decodeSafetensors(encodeSafetensors(raw)).tensors;
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});

describe('safetensors: malformed files throw an OpError that names the problem', () => {
  it('too short, or a bad header length', () => {
    loadError(new Uint8Array(0), /file is 0 bytes, shorter than the 8-byte header length/);
    loadError(new Uint8Array(7), /file is 7 bytes/);
    loadError(file('{}', [], 1000), /header length 1000 is larger than the 2 bytes after the length field/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    loadError(huge, /header length 18446744073709551615 is absurdly large \(limit 100000000 bytes\)/);
    loadError(file('{}', [], 100_000_001), /header length 100000001 is absurdly large/);
    loadError('not bytes', /expected the file as a Uint8Array or ArrayBuffer, got "not bytes"/);
  });

  it('a header that is not UTF-8 JSON or not an object', () => {
    loadError(new Uint8Array([...le64(4), 0x7b, 0xff, 0xfe, 0x7d]), /header \(bytes 8\.\.12\) is not valid UTF-8/);
    loadError(file('{"a": '), /header is not valid JSON \(.*\): \{"a": /);
    loadError(file('\ufeff{}'), /header is not valid JSON/); // a BOM is not JSON
    loadError(file('[1,2]'), /header must be a JSON object, got \[1,2\]/);
    loadError(file('null'), /header must be a JSON object, got null/);
    loadError(file('3'), /header must be a JSON object, got 3/);
  });

  it('entries missing fields or with the wrong types', () => {
    loadError(fileOf({ a: 3 }), /tensor "a" must be an object \{dtype, shape, data_offsets\}, got 3/);
    loadError(fileOf({ a: [] }), /tensor "a" must be an object/);
    for (const key of ['dtype', 'shape', 'data_offsets']) {
      const entry: Record<string, unknown> = { ...a };
      delete entry[key];
      loadError(fileOf({ a: entry }, f32(1, 2)), new RegExp(`tensor "a" is missing "${key}"`));
    }
    loadError(fileOf({ a: { ...a, dtype: 32 } }, f32(1, 2)), /tensor "a" has dtype 32; expected a string/);
    for (const shape of [2, [-1], [1.5], ['2'], [null], [2 ** 53]]) {
      loadError(fileOf({ a: { ...a, shape } }, f32(1, 2)), /tensor "a" has shape .*; expected an array of non-negative integers/);
    }
    for (const offsets of [[0], [0, 8, 16], [-1, 8], [0, 8.5], ['0', '8'], null, [8, 0]]) {
      loadError(
        fileOf({ a: { ...a, data_offsets: offsets } }, f32(1, 2)),
        /tensor "a" has data_offsets .*; expected \[begin, end\], non-negative integers with begin <= end/,
      );
    }
  });

  it('unsupported dtypes say which are supported', () => {
    for (const dtype of ['F16', 'BF16', 'U8', 'I64', 'f32', 'float32']) {
      loadError(fileOf({ a: { ...a, dtype } }, f32(1, 2)), new RegExp(`tensor "a" has unsupported dtype "${dtype}"; supported: F32, I32, F64`));
    }
  });

  it('offsets beyond the data, or a byte length that does not match the shape', () => {
    loadError(fileOf({ a: { ...a, data_offsets: [0, 12] } }, f32(1, 2)), /tensor "a" has data_offsets \[0, 12\], beyond the end of the 8-byte data buffer/);
    loadError(fileOf({ a: { ...a, data_offsets: [0, 4] } }, f32(1)), /tensor "a" \(F32, shape \[2\]\) needs 8 bytes but data_offsets \[0, 4\] span 4/);
    loadError(fileOf({ a: { ...a, dtype: 'F64' } }, f32(1, 2)), /tensor "a" \(F64, shape \[2\]\) needs 16 bytes but data_offsets \[0, 8\] span 8/);
    loadError(fileOf({ a: { ...a, shape: [] } }, f32(1, 2)), /needs 4 bytes but data_offsets \[0, 8\] span 8/);
    loadError(fileOf({ a: { ...a, shape: [2 ** 40, 2 ** 40] } }, f32(1, 2)), /needs \d.* bytes but data_offsets \[0, 8\] span 8/);
  });

  it('overlapping tensors, gaps and trailing bytes', () => {
    const b = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
    loadError(fileOf({ a: b(0, 8), b: b(4, 12) }, f32(1, 2, 3)), /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/);
    loadError(fileOf({ a: b(0, 8), b: b(0, 8) }, f32(1, 2)), /tensors "a" \[0, 8\] and "b" \[0, 8\] overlap/);
    loadError(fileOf({ a: b(0, 4), b: b(8, 12) }, f32(1, 2, 3)), /gap: bytes 4\.\.8 of the data buffer belong to no tensor \(before "b"\)/);
    loadError(fileOf({ a: b(4, 8) }, f32(1, 2)), /gap: bytes 0\.\.4 .* \(before "a"\)/);
    loadError(fileOf({ a: b(0, 8) }, f32(1, 2, 3)), /4 trailing bytes: the data buffer is 12 bytes but the tensors cover 8/);
    loadError(fileOf({}, [1, 2, 3]), /3 trailing bytes: the data buffer is 3 bytes but the tensors cover 0/);
    // Zero-size tensors fit anywhere on a boundary.
    expect(decodeSafetensors(fileOf({ a: b(0, 8), e: { ...b(8, 8), shape: [0, 5] }, s: b(0, 0) }, f32(1, 2))).tensors.e.shape).toEqual([0, 5]);
  });

  it('__metadata__ must map strings to strings', () => {
    loadError(fileOf({ __metadata__: { epoch: 3 } }), /__metadata__ value of "epoch" is 3; values must be strings/);
    loadError(fileOf({ __metadata__: ['x'] }), /__metadata__ must be an object of strings, got \["x"\]/);
    loadError(fileOf({ __metadata__: 'x' }), /__metadata__ must be an object of strings, got "x"/);
  });

  it('every truncation and single-byte corruption of a valid file decodes or throws an OpError, never anything else', () => {
    const bytes = encodeSafetensors(
      { a: { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }, b: { dtype: 'int32', shape: [1, 1], data: new Int32Array([3]) } },
      { k: 'v' },
    );
    for (let len = 0; len < bytes.length; len++) {
      expect(() => decodeSafetensors(bytes.subarray(0, len)), `truncated to ${len}`).toThrow(OpError);
    }
    for (let i = 0; i < bytes.length; i++) {
      for (const v of [0x00, 0x20, 0x22, 0x30, 0x39, 0x5d, 0x7d, 0xff]) {
        const bad = bytes.slice();
        bad[i] = v;
        try {
          decodeSafetensors(bad);
        } catch (e) {
          expect(e, `byte ${i} = ${v}: ${(e as Error).message}`).toBeInstanceOf(OpError);
        }
      }
    }
  });
});

describe('safetensors: nesting, repeated keys and odd arguments', () => {
  it('a header nested deeper than 16 levels is an OpError before JSON.parse, never a stack overflow', () => {
    const big = (header: string): Uint8Array => {
      const json = new TextEncoder().encode(header); // file() spreads arrays: too slow for megabytes
      const out = new Uint8Array(8 + json.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    for (const depth of [17, 10_000, 1_000_000]) {
      loadError(big(`${'['.repeat(depth)}${']'.repeat(depth)}`), /header nests deeper than 16 levels \(character 16: \[+\); a safetensors header needs 3/);
      loadError(big(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`), /header nests deeper than 16 levels/);
      loadError(big(`{"a":{"dtype":"F32","shape":${'['.repeat(depth)}`), /header nests deeper than 16 levels/); // never closed
    }
    expect(() => loadSafetensors(big('['.repeat(10_000)))).toThrow(/^loadSafetensors: header nests deeper than 16 levels/);
  });

  it('16 levels are read (unknown fields are ignored); brackets inside strings do not nest', () => {
    const extra = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The header, the entry and 14 arrays: 16 levels.
    expect(decodeSafetensors(file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":${extra(14)}}}`)).tensors.a.shape).toEqual([0]);
    loadError(file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":${extra(15)}}}`), /header nests deeper than 16 levels/);
    const text = `${'[{'.repeat(50_000)}"\\${']}'.repeat(3)}`; // a quote and a backslash inside: escaped in the JSON
    expect(decodeSafetensors(fileOf({ __metadata__: { [text]: text } })).metadata).toEqual({ [text]: text });
  });

  it('a key repeated in one object is an OpError (JSON.parse would keep only the last)', () => {
    const entry = JSON.stringify(a);
    loadError(
      file(`{"a":${entry},"a":${entry}}`, f32(1, 2)),
      /header has the key "a" twice in one object \(character 54\); JSON\.parse would keep only the last/,
    );
    loadError(file(`{"a":${entry},"\\u0061":${entry}}`, f32(1, 2)), /the key "a" twice/); // the same name, escaped
    loadError(file('{"a":{"dtype":"I32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32(1, 2)), /the key "dtype" twice/);
    loadError(file('{"__metadata__":{"k":"1","k":"2"}}'), /the key "k" twice/);
    loadError(file('{"__metadata__":{},"__metadata__":{}}'), /the key "__metadata__" twice/);
    // The same key in different objects is fine.
    const { metadata, tensors } = decodeSafetensors(file(`{"__metadata__":{"a":"x","dtype":"y"},"a":${entry}}`, f32(1, 2)));
    expect(metadata).toEqual({ a: 'x', dtype: 'y' });
    expect(tensors.a.data).toEqual(new Float32Array([1, 2]));
  });

  it('arguments that are not bytes, detached buffers, other views', () => {
    for (const [bad, shown] of [
      [null, 'null'],
      [undefined, 'undefined'],
      [[1, 2], '\\[1,2\\]'],
      [{ length: 8 }, '\\{"length":8\\}'],
      [Symbol('s'), 'a symbol'],
      [1n, '1n'],
      [new Map(), 'a Map'],
    ] as const) {
      loadError(bad, new RegExp(`expected the file as a Uint8Array or ArrayBuffer, got ${shown}`));
    }
    const buffer = new ArrayBuffer(16);
    const view = new Uint8Array(buffer);
    structuredClone(buffer, { transfer: [buffer] }); // detaches buffer
    loadError(buffer, /cannot read the file's bytes from an ArrayBuffer \(a detached ArrayBuffer\?\)/);
    loadError(view, /file is 0 bytes/);
    const bytes = encodeSafetensors({ a: { dtype: 'int32', shape: [1], data: Int32Array.of(5) } });
    expect(decodeSafetensors(new DataView(bytes.buffer) as unknown as Uint8Array).tensors.a.data).toEqual(Int32Array.of(5));
  });

  it('long names and large values are shown short in messages', () => {
    let error: Error | undefined;
    try {
      decodeSafetensors(fileOf({ ['n'.repeat(10_000)]: { ...a, shape: Array(10_000).fill(-1) } }, f32(1, 2)));
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(OpError);
    expect(error!.message).toMatch(/^loadSafetensors: tensor "n{80}\.\.\." has shape \[-1,-1,.*\.\.\.; expected an array of non-negative integers/);
    expect(error!.message.split('\n')[0].length).toBeLessThan(300);
  });

  it('loadSafetensors makes no tensor when the file is rejected (all or nothing)', () => {
    const b = (begin: number, end: number) => ({ dtype: 'F32', shape: [(end - begin) / 4], data_offsets: [begin, end] });
    const before = liveTensors().length;
    // Three good entries, then one that overlaps: decode checks everything before copying anything.
    expect(() => loadSafetensors(fileOf({ a: b(0, 4), b: b(4, 8), c: b(8, 12), d: b(8, 12) }, f32(1, 2, 3)))).toThrow(
      /^loadSafetensors: tensors "c" \[8, 12\] and "d" \[8, 12\] overlap/,
    );
    expect(liveTensors().length).toBe(before);

    // A valid file with a tensor too large for the device (as a GPU's buffer limit would say) is
    // rejected before the tensors that fit are made.
    const backend = backendFor('float32');
    const checkSize = backend.checkSize;
    backend.checkSize = (op, meta) => {
      if (meta.shape[0] > 1) fail(op, `tensor [${meta.shape}] is over this device's limit`);
    };
    try {
      expect(() => loadSafetensors(fileOf({ a: b(0, 4), big: b(4, 12) }, f32(1, 2, 3)))).toThrow(/^loadSafetensors: tensor \[2\] is over this device's limit/);
      expect(liveTensors().length).toBe(before);
    } finally {
      backend.checkSize = checkSize;
    }
  });
});

describe('safetensors: bad input to save', () => {
  const ok = (): RawTensor => ({ dtype: 'float32', shape: [2], data: new Float32Array(2) });

  it('names, dtypes, shapes, data and metadata are checked', () => {
    saveError(() => encodeSafetensors({ '': ok() }), /tensor name is empty/);
    saveError(() => encodeSafetensors({ __metadata__: ok() }), /"__metadata__" is reserved for the metadata and cannot name a tensor/);
    saveError(() => encodeSafetensors({ a: { ...ok(), dtype: 'float16' as 'float32' } }), /"a" has dtype "float16"; supported: float32, int32, float64/);
    for (const shape of [[NaN], [Infinity], [-1], [1.5], [2 ** 53], '2' as unknown as number[]]) {
      saveError(() => encodeSafetensors({ a: { ...ok(), shape } }), /"a" has shape .*; expected an array of non-negative integers/);
    }
    saveError(() => encodeSafetensors({ a: { ...ok(), shape: [2, 2] } }), /"a" has 2 values but shape \[2,2\] needs 4/);
    saveError(() => encodeSafetensors({ a: { ...ok(), data: new Float64Array(2) } }), /"a" is float32 but its data is Float64Array, not a Float32Array/);
    saveError(() => encodeSafetensors({ a: { ...ok(), data: [1, 2] as unknown as Float32Array } }), /its data is \[1,2\], not a Float32Array/);
    saveError(() => encodeSafetensors({ a: null as unknown as RawTensor }), /"a" is null, not \{dtype, shape, data\}/);
    saveError(() => encodeSafetensors({ a: ok() }, { epoch: 3 as unknown as string }), /__metadata__ value of "epoch" is 3; values must be strings/);
    saveError(() => encodeSafetensors(null as unknown as Record<string, RawTensor>), /expected an object of tensors, got null/);
  });

  it('saveSafetensors rejects non-tensors and bad names', async () => {
    await expect(saveSafetensors({ w: [1, 2] as unknown as Tensor })).rejects.toThrow(/^saveSafetensors: "w" is \[1,2\], not a Tensor/);
    await expect(saveSafetensors(new Map([['', tensor([1])]]))).rejects.toThrow(/^saveSafetensors: tensor name is empty/);
    await expect(saveSafetensors(new Map([[1 as unknown as string, tensor([1])]]))).rejects.toThrow(/^saveSafetensors: tensor names must be strings, got 1/);
    await expect(saveSafetensors({ __metadata__: tensor([1]) })).rejects.toBeInstanceOf(OpError);
  });

  it('odd arguments are OpErrors too: cyclic, deep, sparse, BigInt, symbols, Maps, class instances', () => {
    const cyclic: unknown[] = [2];
    cyclic.push(cyclic);
    let deep: unknown = [2];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const sparse = [2];
    sparse.length = 2; // [2, <hole>]: every() would skip the hole
    for (const [shape, shown] of [
      [cyclic, '\\[2,\\[2,\\[2,\\[\\.\\.\\.\\]\\]\\]\\]'],
      [deep, '\\[\\[\\[\\[\\.\\.\\.\\]\\]\\]\\]'],
      [sparse, '\\[2,undefined\\]'],
      [[1n], '\\[1n\\]'],
      [[Symbol('d')], '\\[a symbol\\]'],
    ] as const) {
      saveError(
        () => encodeSafetensors({ a: { ...ok(), shape: shape as unknown as number[] } }),
        new RegExp(`"a" has shape ${shown}; expected an array of non-negative integers`),
      );
    }
    saveError(() => encodeSafetensors({ a: { ...ok(), dtype: Symbol('f32') as unknown as 'float32' } }), /"a" has dtype a symbol; supported/);
    const cyclicMeta: Record<string, unknown> = {};
    cyclicMeta.self = cyclicMeta;
    saveError(
      () => encodeSafetensors({ a: ok() }, cyclicMeta as Record<string, string>),
      /__metadata__ value of "self" is \{"self":\{"self":\{"self":\{\.\.\.\}\}\}\}; values must be strings/,
    );
    saveError(() => encodeSafetensors({ a: ok() }, { n: 1n } as unknown as Record<string, string>), /__metadata__ value of "n" is 1n/);
    saveError(
      () => encodeSafetensors({ a: ok() }, new Map([['k', 'v']]) as unknown as Record<string, string>),
      /__metadata__ must be an object of strings, got a Map/,
    );
    saveError(() => encodeSafetensors(new Map([['a', ok()]]) as unknown as Record<string, RawTensor>), /expected an object of tensors, got a Map/);
    saveError(
      () => encodeSafetensors([ok()] as unknown as Record<string, RawTensor>),
      /expected an object of tensors, got \[\{"dtype":"float32","shape":\[2\],"data":Float32Array\}\]/,
    );
  });

  it('saveSafetensors checks every entry before reading any value', async () => {
    const pending = tensor([1, 2]).mul(2);
    await expect(saveSafetensors({ pending, w: [1, 2] as unknown as Tensor })).rejects.toThrow(/^saveSafetensors: "w" is \[1,2\], not a Tensor/);
    expect(pending.value.storage).toBeNull(); // not computed
    await expect(saveSafetensors({ pending }, { epoch: 3 as unknown as string })).rejects.toThrow(/^saveSafetensors: __metadata__ value of "epoch" is 3/);
    expect(pending.value.storage).toBeNull();
    class Model {}
    await expect(saveSafetensors(new Model() as unknown as Record<string, Tensor>)).rejects.toThrow(
      /^saveSafetensors: expected an object or Map of tensors, got a Model/,
    );
    const gone = tensor([3]);
    gone.dispose();
    await expect(saveSafetensors({ pending, gone })).rejects.toThrow(/^saveSafetensors: .* was disposed; it cannot be used any more/);
    expect(pending.value.storage).toBeNull();
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips chainrule tensors from an object or a Map, including computed ones', async () => {
    const w = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const params = {
      w,
      w2: w.mul(2), // not yet computed: saving reads it
      labels: tensor([2, 0, 1], { dtype: 'int32' }),
      x64: tensor([Math.PI], { dtype: 'float64' }),
      scalar: tensor(3.5),
      empty: tensor(new Float32Array(0), [0, 3]),
    };
    const bytes = await saveSafetensors(params, { step: '10' });
    expect(decodeSafetensors(bytes).metadata).toEqual({ step: '10' });
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(params).sort());
    for (const [name, t] of Object.entries(params)) {
      const l = loaded[name];
      expect(l, name).toBeInstanceOf(Tensor);
      expect(l.dtype, name).toBe(t.dtype);
      expect(l.shape, name).toEqual(t.shape);
      expect(l.requiresGrad, name).toBe(false);
      expect(await l.data(), name).toEqual(await t.data());
    }
    expect(await loaded.w2.data()).toEqual(new Float32Array([2, 4, 6, 8, 10, 12]));

    const fromMap = await saveSafetensors(new Map(Object.entries(params)), { step: '10' });
    expect([...fromMap]).toEqual([...bytes]);
    expect(await loadSafetensors(fromMap.buffer as ArrayBuffer).labels.data()).toEqual(new Int32Array([2, 0, 1]));
  });

  it('loadSafetensors reports malformed files as loadSafetensors errors', () => {
    expect(() => loadSafetensors(new Uint8Array(3))).toThrow(/^loadSafetensors: file is 3 bytes/);
    expect(() => loadSafetensors(fileOf({ a: { ...a, dtype: 'BF16' } }, f32(1, 2)))).toThrow(OpError);
  });
});
