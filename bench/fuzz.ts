/**
 * Fuzzes the file parsers with seeded inputs: mutations of valid files (bit flips, truncation,
 * insertion, deletion, byte runs, splices, lying length fields), headers written with odd values
 * (huge numbers, negative or overflowing offsets, wrong dtypes, repeated keys), deep nesting
 * ('[[[[...'), random garbage and arguments of the wrong type. Every input must decode cleanly or
 * throw an OpError whose message starts with the function called; anything else (a TypeError, a
 * RangeError, a stack overflow, another prefix, a clean result that is inconsistent) is a bug.
 *
 *   npx tsx bench/fuzz.ts                                  # 100,000 inputs per parser, seed 1
 *   npx tsx bench/fuzz.ts --count 10000 --seed 7 --only parseIdx,mnistFromBytes
 *
 * Case i of a target depends only on the seed and i, so a failure printed as "case i" reproduces
 * alone. test/fuzz.test.ts runs the same targets, with the counts it can afford.
 */
import { pathToFileURL } from 'node:url';
import { parseIdx } from '../src/data/idx.ts';
import { mnistFromBytes } from '../src/data/mnist.ts';
import { backendFor } from '../src/device.ts';
import { OpError } from '../src/errors.ts';
import { decodeSafetensors, encodeSafetensors, loadSafetensors } from '../src/io/safetensors.ts';
import { rng } from '../src/random.ts';

type Rand = () => number;

/** One function under test: `input` makes case i's arguments, `check` vets a clean result (throws if wrong). */
export interface Target {
  /** The prefix every OpError message must start with (the function the user called). */
  op: string;
  input(r: Rand): unknown[];
  call(args: unknown[]): unknown;
  check?(result: unknown, args: unknown[]): void;
  /** It makes tensors: a rejected input must have made none (no value uploaded to a device). */
  allOrNothing?: boolean;
}

export interface FuzzResult {
  target: string;
  count: number;
  clean: number;
  opErrors: number;
  /** Anything else: a bug. The first few are described in `failures`. */
  other: number;
  failures: string[];
  /** How often each kind of OpError was seen (its message without the prefix, numbers and quoted names). */
  kinds: Map<string, number>;
  ms: number;
}

/** Runs cases start .. start + count - 1 of a target, synchronously. */
export function runFuzz(name: string, count: number, seed = 1, start = 0): FuzzResult {
  const target = targets[name];
  const result: FuzzResult = { target: name, count, clean: 0, opErrors: 0, other: 0, failures: [], kinds: new Map(), ms: 0 };
  const t0 = performance.now();
  const uploads = countUploads();
  try {
    for (let i = start; i < start + count; i++) runCase(target, i, seed, result, uploads);
  } finally {
    uploads.restore();
  }
  result.ms = performance.now() - t0;
  return result;
}

/** Counts the values given to the backends (every tensor made from data: fromValues uploads). */
function countUploads(): { count: number; restore(): void } {
  const counter = { count: 0, restore: () => {} };
  const restores = [...new Set((['float32', 'int32', 'float64'] as const).map(backendFor))].map((backend) => {
    const own = Object.hasOwn(backend, 'upload');
    const upload = backend.upload;
    backend.upload = (values) => {
      counter.count++;
      return upload.call(backend, values);
    };
    return () => (own ? (backend.upload = upload) : delete (backend as { upload?: unknown }).upload);
  });
  counter.restore = () => restores.forEach((restore) => restore());
  return counter;
}

function runCase(target: Target, i: number, seed: number, result: FuzzResult, uploads: { count: number }): void {
  const args = target.input(rng(caseSeed(seed, i)));
  const before = uploads.count;
  let outcome: unknown;
  let threw = false;
  try {
    outcome = target.call(args);
  } catch (e) {
    outcome = e;
    threw = true;
  }
  let bad: string | undefined;
  if (threw && target.allOrNothing && uploads.count !== before) {
    bad = `rejected, but made ${uploads.count - before} tensors first`;
  } else if (!threw) {
    try {
      target.check?.(outcome, args);
    } catch (e) {
      bad = `clean but inconsistent: ${(e as Error).message}`;
    }
  } else if (!(outcome instanceof OpError)) {
    bad = `threw ${describeError(outcome)}`;
  } else if (!outcome.message.startsWith(`${target.op}: `)) {
    bad = `OpError not starting with "${target.op}: ": ${outcome.message.slice(0, 200)}`;
  }
  if (bad !== undefined) {
    result.other++;
    if (result.failures.length < 5) result.failures.push(`case ${i} (seed ${seed}): ${bad}`);
  } else if (threw) {
    result.opErrors++;
    const kind = kindOf((outcome as Error).message.slice(target.op.length + 2));
    result.kinds.set(kind, (result.kinds.get(kind) ?? 0) + 1);
  } else result.clean++;
}

/**
 * The kind of an error: its message without the prefix, quoted strings as _, numbers as #, lists as
 * [], cut before the offending value ("tensor "a" has shape [-1]; expected..." -> "tensor _ has shape []").
 */
function kindOf(detail: string): string {
  return detail
    .split('\n')[0]
    .replace(/ \(.*\): .*$/, ' (...)') // a JSON.parse message and the header text
    .replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, '_')
    .replace(/0x[0-9a-f]+|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?n?/gi, '#')
    .replace(/\[[^[\]]*\]/g, '[]')
    .replace(/\[[^[\]]*\]/g, '[]')
    .replace(/\([^()]*\)/g, '(...)')
    .split(/; |,? got |(?<=\)): /)[0]
    .slice(0, 80);
}

function caseSeed(seed: number, i: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.slice(0, 200)}`;
  return typeof e;
}

// ---------------------------------------------------------------------------------------------
// Random helpers and byte-level mutations (shared by the safetensors and IDX inputs)

const int = (r: Rand, n: number): number => Math.floor(r() * n); // 0 <= int < n
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];
const randomBytes = (r: Rand, n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = int(r, 2 ** 32); // four bytes per draw
    for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = v >>> (8 * k);
  }
  return out;
};
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// Bytes that matter to JSON, UTF-8 and little-endian lengths.
const interesting = [
  0x00, 0x01, 0x08, 0x20, 0x22, 0x2c, 0x2d, 0x2e, 0x30, 0x31, 0x39, 0x3a, 0x5b, 0x5c, 0x5d, 0x65, 0x7b, 0x7d, 0x7f, 0x80, 0xc3, 0xed, 0xef, 0xff,
];
const aByte = (r: Rand): number => (r() < 0.6 ? pick(r, interesting) : int(r, 256));

function flipBits(r: Rand, b: Uint8Array): Uint8Array {
  const out = b.slice();
  if (out.length > 0) for (let k = 1 + int(r, 8); k > 0; k--) out[int(r, out.length)] ^= 1 << int(r, 8);
  return out;
}

function setBytes(r: Rand, b: Uint8Array): Uint8Array {
  const out = b.slice();
  if (out.length > 0) for (let k = 1 + int(r, 4); k > 0; k--) out[int(r, out.length)] = aByte(r);
  return out;
}

const truncate = (r: Rand, b: Uint8Array): Uint8Array => b.slice(0, int(r, b.length + 1));

function insert(r: Rand, b: Uint8Array): Uint8Array {
  const at = int(r, b.length + 1);
  const bytes = Uint8Array.from({ length: 1 + int(r, 16) }, () => aByte(r));
  return concat(b.subarray(0, at), bytes, b.subarray(at));
}

function remove(r: Rand, b: Uint8Array): Uint8Array {
  const at = int(r, b.length + 1);
  return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 16))));
}

/** A run of one byte, inserted or written over, usually short, sometimes 100,000 long. */
function byteRun(r: Rand, b: Uint8Array): Uint8Array {
  const run = new Uint8Array(r() < 0.02 ? 100_000 : 1 + int(r, 64)).fill(aByte(r));
  const at = int(r, b.length + 1);
  return concat(b.subarray(0, at), run, b.subarray(r() < 0.5 ? at : Math.min(b.length, at + run.length)));
}

function splice(r: Rand, a: Uint8Array, b: Uint8Array): Uint8Array {
  return concat(a.subarray(0, int(r, a.length + 1)), b.subarray(int(r, b.length + 1)));
}

const byteMutations = [flipBits, setBytes, truncate, insert, remove, byteRun];
const mutateBytes = (r: Rand, b: Uint8Array): Uint8Array => pick(r, byteMutations)(r, b);

/** Arguments that are not bytes at all (made on demand: detaching a buffer is not free). */
const notBytesMakers: (() => unknown)[] = [
  () => null,
  () => undefined,
  () => 0,
  () => -1,
  () => NaN,
  () => 'not bytes',
  () => true,
  () => [0, 0, 8, 1, 0, 0, 0, 1, 5],
  () => ({ length: 12 }),
  () => Symbol('bytes'),
  () => 10n,
  () => () => 0,
  () => new Map(),
  () => new Int8Array(12),
  () => new Uint8ClampedArray(12),
  () => new Float32Array(3),
  () => new DataView(new ArrayBuffer(12)),
  () => new ArrayBuffer(12),
  () => detach(new ArrayBuffer(16)),
  () => {
    const buffer = new ArrayBuffer(16);
    const view = new Uint8Array(buffer); // a view of a buffer then transferred away: 0 bytes
    detach(buffer);
    return view;
  },
];
const notBytes = (r: Rand): unknown => pick(r, notBytesMakers)();

function detach(buffer: ArrayBuffer): ArrayBuffer {
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}

// ---------------------------------------------------------------------------------------------
// safetensors

const le64 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return out;
};

/** A file with this header text (its exact byte length in the length field) and data. */
const withHeader = (header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const json = ascii(header);
  return concat(le64(BigInt(json.length)), json, data);
};

let safetensorsBases: Uint8Array[] | undefined;

/** Valid files: empty, metadata only, every dtype, a scalar, an empty tensor, a hand-written header. */
function bases(): Uint8Array[] {
  const f32 = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1);
  const hand =
    '{ "b" : { "shape" : [ 2 ], "data_offsets" : [ 8 , 16 ] , "dtype" : "I32" } , "__metadata__" : { "by" : "hand" }, "a" : {"data_offsets":[0,8],"dtype":"F32","shape":[2]} }';
  return (safetensorsBases ??= [
    encodeSafetensors({}),
    encodeSafetensors({}, { format: 'pt' }),
    encodeSafetensors({ 'fc.weight': { dtype: 'float32', shape: [2, 3], data: f32(6) }, 'fc.bias': { dtype: 'float32', shape: [3], data: f32(3) } }),
    encodeSafetensors(
      {
        labels: { dtype: 'int32', shape: [4], data: Int32Array.of(0, -1, 7, 2 ** 31 - 1) },
        x64: { dtype: 'float64', shape: [2, 1], data: Float64Array.of(Math.PI, -1e300) },
        scalar: { dtype: 'float32', shape: [], data: Float32Array.of(7) },
        empty: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
      },
      { step: '10', note: 'ünïcödé ✓ "q"' },
    ),
    withHeader(hand, concat(new Uint8Array(new Float32Array([1.5, -2]).buffer), new Uint8Array(new Int32Array([7, -8]).buffer))),
  ]);
}

const names = ['a', 'b', 'a', 'w', '__proto__', 'constructor', 'toString', '__metadata__', '', '0', '10', 'ü', '\\ud800', '\\u0061', 'x'.repeat(300)];
const dtypes = ['"F32"', '"I32"', '"F64"', '"F32"', '"F16"', '"BF16"', '"I64"', '"U8"', '"BOOL"', '"f32"', '"float32"', '""', '32', 'null', '["F32"]', '{}'];
const weirdNumbers = [
  '-1',
  '-0',
  '0.5',
  '1e308',
  '1e400',
  '-1e400',
  '9007199254740992',
  '18446744073709551616',
  '4294967296',
  '2147483648',
  '1e-7',
  '"0"',
  'null',
  'true',
  '[]',
  '{}',
  '[0]',
];
const metadataTexts = ['{}', '{"format":"pt"}', '{"a":1}', '{"a":"b","a":"c"}', '[]', '"x"', 'null', '{"a":{"b":"c"}}', '{"__proto__":"x"}'];

/** A header written entry by entry: usually a valid tiling, sometimes odd values. */
function structuredFile(r: Rand): Uint8Array {
  const entries: string[] = [];
  let offset = 0;
  const n = int(r, 5);
  for (let k = 0; k < n; k++) {
    const dtype = r() < 0.8 ? pick(r, dtypes.slice(0, 4)) : pick(r, dtypes);
    const size = dtype === '"F64"' ? 8 : 4;
    const shape = Array.from({ length: int(r, 4) }, () => int(r, 4));
    let shapeText = `[${shape.join(',')}]`;
    const bytes = shape.reduce((a, b) => a * b, 1) * size;
    let offsets = `[${offset},${offset + bytes}]`;
    if (r() < 0.3) {
      const odd = pick(r, weirdNumbers);
      const shift = pick(r, [-8, -4, 4, 8]);
      const which = int(r, 6);
      if (which === 0) shapeText = r() < 0.5 ? odd : `[${odd}]`;
      else if (which === 1) offsets = `[${offset},${odd}]`;
      else if (which === 2) offsets = `[${odd},${offset + bytes}]`;
      else if (which === 3) offsets = pick(r, [odd, `[${offset + bytes},${offset}]`, `[${offset}]`, `[${offset},${offset + bytes},0]`]);
      else if (which === 4)
        offsets = `[${offset + shift},${offset + bytes + shift}]`; // overlaps, gaps, past the end
      else offsets = `[${offset},${offset + bytes + shift}]`; // the wrong size for the shape
    }
    offset += bytes;
    const fields = [`"dtype":${dtype}`, `"shape":${shapeText}`, `"data_offsets":${offsets}`];
    if (r() < 0.1) fields.splice(int(r, 3), 1); // a missing field
    if (r() < 0.1) fields.push(pick(r, ['"dtype":"I32"', '"shape":[1]', '"extra":{"x":[1,2]}', '"data_offsets":[0,0]'])); // repeated or extra
    if (r() < 0.1) fields.reverse();
    entries.push(`${JSON.stringify(pick(r, names)).replace(/\\\\/g, '\\')}:{${fields.join(',')}}`);
  }
  if (r() < 0.05 && offset >= 4) entries.push('"overlapping":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}');
  if (r() < 0.05) entries.push(`"after a gap":{"dtype":"I32","shape":[1],"data_offsets":[${offset + 4},${(offset += 8)}]}`);
  if (r() < 0.3) entries.splice(int(r, entries.length + 1), 0, `"__metadata__":${pick(r, metadataTexts)}`);
  if (r() < 0.05) entries.push(entries[0] ?? '"a":1'); // a whole entry twice
  const header = `{${entries.join(r() < 0.2 ? ' , ' : ',')}}${' '.repeat(int(r, 8))}`;
  const dataLength = r() < 0.8 ? offset : Math.max(0, offset + int(r, 17) - 8);
  return withHeader(header, randomBytes(r, dataLength));
}

/** Nesting: '[[[[...', '{"a":{"a":...', deep shapes and metadata, brackets inside strings. */
function nestedFile(r: Rand): Uint8Array {
  const k = r() < 0.6 ? pick(r, [2, 3, 15, 16, 17, 18, 100, 1000, 10_000]) : r() < 0.95 ? 1 + int(r, 5000) : 100_000;
  const closed = r() < 0.5;
  const close = (s: string): string => (closed ? s.repeat(k) : '');
  const header = pick(r, [
    () => `${'['.repeat(k)}${close(']')}`,
    () => `${'{"a":'.repeat(k)}1${close('}')}`,
    () => `{"a":{"dtype":"F32","shape":${'['.repeat(k)}${close(']')},"data_offsets":[0,0]}}`,
    () => `{"__metadata__":${'{"k":'.repeat(k)}"v"${close('}')}}`,
    () => `{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":${'[{'.repeat(k)}${close('}]')}}}`,
    () => `{"__metadata__":{"k":"${'[{'.repeat(k)}"}}`, // inside a string: not nesting, decodes cleanly
    () => `{"__metadata__":{"k":"\\"${'['.repeat(k)}"}}`,
  ])();
  return withHeader(header);
}

/** A valid file with a lying header length. */
function lengthLie(r: Rand): Uint8Array {
  const file = pick(r, bases()).slice();
  const n = new DataView(file.buffer).getBigUint64(0, true);
  const lie = pick(r, [
    0n,
    1n,
    7n,
    n - 1n,
    n + 1n,
    n + 8n,
    100_000_000n,
    100_000_001n,
    2n ** 32n,
    2n ** 53n,
    2n ** 63n,
    2n ** 64n - 1n,
    BigInt(int(r, 2 ** 31)),
  ]);
  file.set(le64(lie), 0);
  return file;
}

function safetensorsInput(r: Rand): unknown {
  const kind = r();
  if (kind < 0.3) {
    let file = pick(r, bases());
    for (let k = 1 + int(r, 3); k > 0; k--) file = mutateBytes(r, file);
    return file;
  }
  if (kind < 0.65) {
    const file = structuredFile(r);
    return r() < 0.15 ? mutateBytes(r, file) : file;
  }
  if (kind < 0.75) return nestedFile(r);
  if (kind < 0.82) return lengthLie(r);
  if (kind < 0.87) return splice(r, pick(r, bases()), r() < 0.5 ? pick(r, bases()) : structuredFile(r));
  if (kind < 0.95) {
    const garbage = randomBytes(r, r() < 0.9 ? int(r, 64) : int(r, 4096));
    return r() < 0.5 ? garbage : concat(le64(BigInt(int(r, garbage.length + 2))), garbage);
  }
  if (kind < 0.97) {
    // a view at an odd offset, and other views of bytes
    const file = pick(r, bases());
    const shifted = new Uint8Array(file.length + 3);
    shifted.set(file, 3);
    return pick(r, [shifted.subarray(3), shifted.slice(3).buffer, new DataView(shifted.buffer, 3)]);
  }
  return notBytes(r);
}

/** A clean decode must be consistent: every tensor's values fill its shape, metadata is strings. */
function checkDecoded(result: unknown): void {
  const { tensors, metadata } = result as ReturnType<typeof decodeSafetensors>;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) throw new Error(`tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`);
  }
  for (const [key, value] of Object.entries(metadata)) if (typeof value !== 'string') throw new Error(`metadata "${key}" is not a string`);
}

// ---------------------------------------------------------------------------------------------
// encodeSafetensors on arbitrary arguments: clean results must decode back to the same tensors

// Odd values, made once: a cyclic array and object, an array nested 20,000 deep, a sparse array.
const cyclic: unknown[] = [2];
cyclic.push(cyclic);
const cyclicObject: Record<string, unknown> = { a: 'b' };
cyclicObject.self = cyclicObject;
let deep: unknown = [];
for (let k = 0; k < 20_000; k++) deep = [deep];
const sparse = [2, 3];
sparse.length = 3;

function encodeInput(r: Rand): unknown[] {
  const good = (): unknown => {
    const dtype = pick(r, ['float32', 'int32', 'float64'] as const);
    const shape = Array.from({ length: int(r, 3) }, () => int(r, 3));
    const size = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Float64Array(size);
    return { dtype, shape, data };
  };
  const odd = (): unknown => {
    const t = good() as Record<string, unknown>;
    const field = pick(r, ['dtype', 'shape', 'data', 'self']);
    const value = pick(r, [
      null,
      undefined,
      'float16',
      3,
      Symbol('x'),
      1n,
      [],
      [-1],
      [1.5],
      [NaN],
      [Infinity],
      [2 ** 53],
      ['2'],
      '2',
      sparse,
      cyclic,
      deep,
      [1n],
      {},
      [1, 2],
      new Float32Array(5),
      new Int8Array(2),
      new DataView(new ArrayBuffer(8)),
    ]);
    return field === 'self' ? value : { ...t, [field]: value };
  };
  const tensors: Record<string, unknown> = {};
  for (let k = int(r, 4); k > 0; k--) {
    const name = pick(r, ['a', 'b', 'c', '', '__metadata__', '__proto__', 'x'.repeat(200), '\ud800']);
    Object.defineProperty(tensors, name, { value: r() < 0.7 ? good() : odd(), enumerable: true, configurable: true, writable: true });
  }
  const metadata = pick(r, [
    undefined,
    undefined,
    {},
    { format: 'pt' },
    { a: 1 },
    null,
    'x',
    [],
    ['a'],
    cyclicObject,
    { a: 1n },
    { a: deep },
    Symbol('m'),
    new Map([['a', 'b']]),
  ]);
  const first = r() < 0.9 ? tensors : pick(r, [null, undefined, 3, 'x', [good()], deep, cyclic, Symbol('t'), new Float32Array(2)]);
  return [first, metadata];
}

function checkEncoded(result: unknown, args: unknown[]): void {
  const { tensors } = decodeSafetensors(result as Uint8Array); // throws (an OpError: reported as inconsistent) if not
  const given = Object.keys(args[0] as object).sort();
  const got = Object.keys(tensors).sort();
  if (given.join('\n') !== got.join('\n')) throw new Error(`encoded [${given}] but decoded [${got}]`);
}

// ---------------------------------------------------------------------------------------------
// IDX and MNIST

/** An IDX file: zero magic, the type byte, the dims, big-endian u32 sizes, then the data. */
function idx(dims: number[], data: Uint8Array, type = 0x08): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

function validIdx(r: Rand): Uint8Array {
  const dims = r() < 0.3 ? [int(r, 3), 28, 28] : Array.from({ length: 1 + int(r, 4) }, () => int(r, 5));
  return idx(
    dims,
    randomBytes(
      r,
      dims.reduce((a, b) => a * b, 1),
    ),
  );
}

/** IDX-specific damage: a dimension made huge or zero, the type, the rank, the magic. */
function idxHeaderDamage(r: Rand, b: Uint8Array): Uint8Array {
  const out = b.slice();
  if (out.length < 4) return out;
  const what = int(r, 4);
  if (what === 0 && out.length >= 8) {
    const dims = Math.min(out[3], (out.length - 4) >> 2);
    const at = 4 + 4 * int(r, Math.max(1, dims));
    if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, pick(r, [0, 1, 28, 0xffffffff, 0x80000000, 0x10000, int(r, 2 ** 32)]), false);
  } else if (what === 1) out[2] = pick(r, [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, int(r, 256)]);
  else if (what === 2) out[3] = pick(r, [0, 1, 2, 3, 4, 5, 255, int(r, 256)]);
  else out[int(r, 2)] = pick(r, [0x1f, 0x8b, 1, 0xff]);
  return out;
}

function idxBytes(r: Rand): Uint8Array {
  let file = validIdx(r);
  for (let k = int(r, 3); k > 0; k--) file = r() < 0.3 ? idxHeaderDamage(r, file) : mutateBytes(r, file);
  if (r() < 0.03) file = randomBytes(r, int(r, 64));
  return file;
}

function idxInput(r: Rand): unknown[] {
  const bytes = r() < 0.95 ? idxBytes(r) : notBytes(r);
  if (r() < 0.03) return [bytes, pick(r, [undefined, 'f.idx', 5, null, Symbol('name'), {}])];
  return [bytes];
}

function checkIdx(result: unknown): void {
  const { shape, data } = result as ReturnType<typeof parseIdx>;
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`shape [${shape}] but ${data.length} bytes`);
}

function mnistInput(r: Rand): unknown[] {
  const labels = (n: number): Uint8Array =>
    idx(
      [n],
      Uint8Array.from({ length: n }, () => (r() < 0.97 ? int(r, 10) : 10 + int(r, 246))),
    );
  const images = (n: number): Uint8Array => idx([n, 28, 28], randomBytes(r, n * 784));
  const nTrain = r() < 0.05 ? 0 : 1 + int(r, 3);
  const nTest = 1 + int(r, 2);
  const files: Record<string, unknown> = { trainImages: images(nTrain), trainLabels: labels(nTrain), testImages: images(nTest), testLabels: labels(nTest) };
  const keys = Object.keys(files);
  for (let k = int(r, 3); k > 0; k--) {
    const key = pick(r, keys);
    const what = r();
    const file = files[key];
    if (what < 0.5 && file instanceof Uint8Array && file.length > 0) files[key] = r() < 0.3 ? idxHeaderDamage(r, file) : mutateBytes(r, file);
    else if (what < 0.6) files[key] = notBytes(r);
    else if (what < 0.7) delete files[key];
    else if (what < 0.8)
      files[key] = files[pick(r, keys)]; // a file in the wrong place
    else if (what < 0.9) files[key] = key.endsWith('Images') ? idx([1, 28, pick(r, [27, 29, 0])], new Uint8Array(28 * 27)) : labels(int(r, 5));
    else files[key] = validIdx(r);
  }
  const options = pick(r, [
    undefined,
    undefined,
    undefined,
    {},
    { train: 1 },
    { test: 1 },
    { train: 2, test: 1 },
    { train: 0 },
    { train: -1 },
    { train: 1.5 },
    { test: 3 },
    { train: '1' },
    { train: NaN },
    { train: Symbol('n') },
    { train: 1n },
    null,
    'all',
    0,
  ]);
  const first = r() < 0.95 ? files : pick(r, [null, undefined, 3, 'files', [], new Map(), files.trainImages]);
  return options === undefined ? [first] : [first, options];
}

function checkMnist(result: unknown): void {
  const { train, test } = result as ReturnType<typeof mnistFromBytes>;
  for (const { x, y } of [train, test]) {
    if (x.shape.length !== 2 || x.shape[1] !== 784 || y.shape[0] !== x.shape[0]) throw new Error(`x [${x.shape}], y [${y.shape}]`);
  }
}

// ---------------------------------------------------------------------------------------------

export const targets: Record<string, Target> = {
  decodeSafetensors: {
    op: 'loadSafetensors',
    input: (r) => [safetensorsInput(r)],
    call: ([bytes]) => decodeSafetensors(bytes as Uint8Array),
    check: checkDecoded,
  },
  loadSafetensors: {
    op: 'loadSafetensors',
    input: (r) => [safetensorsInput(r)],
    call: ([bytes]) => loadSafetensors(bytes as Uint8Array),
    allOrNothing: true,
  },
  encodeSafetensors: {
    op: 'saveSafetensors',
    input: encodeInput,
    call: ([tensors, metadata]) => encodeSafetensors(tensors as never, metadata as never),
    check: checkEncoded,
  },
  parseIdx: {
    op: 'parseIdx',
    input: idxInput,
    call: (args) => parseIdx(...(args as [Uint8Array, string?])),
    check: checkIdx,
  },
  mnistFromBytes: {
    op: 'mnist',
    input: mnistInput,
    call: (args) => mnistFromBytes(...(args as Parameters<typeof mnistFromBytes>)),
    check: checkMnist,
    allOrNothing: true,
  },
};

/** Full counts of the command line (the brief: 100,000 per parser). */
export const FULL_COUNTS: Record<string, number> = {
  decodeSafetensors: 100_000,
  parseIdx: 100_000,
  mnistFromBytes: 100_000,
  loadSafetensors: 100_000,
  encodeSafetensors: 100_000,
};

/**
 * runFuzz in chunks, yielding to the event loop between them: tensors made by clean loads are
 * only collected (and dropped from liveTensors) once the synchronous job that saw them ends.
 */
export async function runFuzzChunked(name: string, count: number, seed = 1, chunk = 2000): Promise<FuzzResult> {
  const total: FuzzResult = { target: name, count, clean: 0, opErrors: 0, other: 0, failures: [], kinds: new Map(), ms: 0 };
  for (let start = 0; start < count; start += chunk) {
    const r = runFuzz(name, Math.min(chunk, count - start), seed, start);
    total.clean += r.clean;
    total.opErrors += r.opErrors;
    total.other += r.other;
    total.failures.push(...r.failures.slice(0, 5 - total.failures.length));
    for (const [kind, n] of r.kinds) total.kinds.set(kind, (total.kinds.get(kind) ?? 0) + n);
    total.ms += r.ms;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return total;
}

async function main(): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const count = flag('count') === undefined ? undefined : Number(flag('count'));
  const seed = Number(flag('seed') ?? 1);
  const only = flag('only')?.split(',') ?? Object.keys(targets);
  if ((count !== undefined && !(Number.isInteger(count) && count > 0)) || !Number.isInteger(seed) || only.some((t) => !(t in targets))) {
    console.error(`usage: npx tsx bench/fuzz.ts [--count N] [--seed S] [--only ${Object.keys(targets).join(',')}]`);
    process.exit(2);
  }
  console.log('| target | inputs | clean | OpError | other (bugs) | seconds |\n|---|---|---|---|---|---|');
  let bugs = 0;
  for (const name of only) {
    const r = await runFuzzChunked(name, count ?? FULL_COUNTS[name], seed);
    bugs += r.other;
    console.log(`| ${name} | ${r.count} | ${r.clean} | ${r.opErrors} | ${r.other} | ${(r.ms / 1000).toFixed(2)} |`);
    for (const f of r.failures) console.log(`    ${f}`);
  }
  process.exitCode = bugs > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
