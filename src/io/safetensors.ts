/**
 * The safetensors format (https://github.com/huggingface/safetensors), readable by PyTorch's
 * `safetensors` package: an 8-byte little-endian header length N, N bytes of UTF-8 JSON header, then
 * the data buffer. Each header entry is {dtype, shape, data_offsets: [begin, end]}, offsets relative to
 * the data buffer; values are little-endian, contiguous, row-major. Only the dtypes chainrule has.
 */
import { fail } from '../errors.ts';
import { backendFor } from '../device.ts';
import { fromValues, Tensor } from '../tensor.ts';

export interface RawTensor {
  dtype: 'float32' | 'int32' | 'float64';
  shape: number[];
  data: Float32Array | Int32Array | Float64Array;
}

type DType = RawTensor['dtype'];
type FileDType = 'F32' | 'I32' | 'F64';

const toFile: Record<DType, FileDType> = { float32: 'F32', int32: 'I32', float64: 'F64' };
const fromFile: Record<FileDType, DType> = { F32: 'float32', I32: 'int32', F64: 'float64' };
const arrays = { float32: Float32Array, int32: Int32Array, float64: Float64Array } as const;
const itemSize: Record<DType, number> = { float32: 4, int32: 4, float64: 8 };
// The reference writes larger alignments first (its Dtype enum order: F64 > F32 > I32), then by
// name, so every tensor starts at a multiple of its item size once the header is 8-byte padded.
const writeRank: Record<DType, number> = { float64: 0, float32: 1, int32: 2 };

// The reference reader rejects longer headers; a corrupt length field must not make us allocate gigabytes.
const MAX_HEADER = 100_000_000;
// A valid header nests 3 deep (the header, an entry, its shape); deeper ones are rejected by a scan of
// the text before JSON.parse, so no recursion (the parser's, an error message's) meets '[[[[...'.
const MAX_DEPTH = 16;
const METADATA = '__metadata__';
const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a BOM stays and fails JSON.parse, as in the reference.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const SAVE = 'saveSafetensors';
const LOAD = 'loadSafetensors';

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  if (!isPlainObject(tensors)) fail(SAVE, `expected an object of tensors, got ${describe(tensors)}`);
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) checkRaw(name, t);
  entries.sort(([a, x], [b, y]) => writeRank[x.dtype] - writeRank[y.dtype] || (a < b ? -1 : a > b ? 1 : 0));

  // Built by hand, not JSON.stringify(object): objects list integer-like keys ("10", "2") first.
  // Each part is counted as it is made: a header past the limit fails before one huge string is joined.
  const parts: string[] = [];
  let length = 2;
  const count = (part: string): string => {
    length += part.length + 1;
    if (length > MAX_HEADER) fail(SAVE, `header is over ${MAX_HEADER} characters, more than the ${MAX_HEADER} bytes safetensors readers accept`);
    return part;
  };
  if (metadata !== undefined) {
    checkMetadata(SAVE, metadata);
    const fields = Object.entries(metadata).map(([key, value]) => count(`${jsonString(key)}:${jsonString(value)}`));
    if (fields.length > 0) parts.push(`${count(`${JSON.stringify(METADATA)}:`)}{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    parts.push(count(`${jsonString(name)}:{"dtype":"${toFile[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`));
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8; // spaces pad the header so the data starts 8-byte aligned
  if (n > MAX_HEADER) fail(SAVE, `header is ${n} bytes, more than the ${MAX_HEADER} bytes safetensors readers accept`);

  let out: Uint8Array;
  try {
    out = new Uint8Array(8 + n + offset);
  } catch {
    // Many views of one large buffer can add up to more than an ArrayBuffer may hold.
    fail(SAVE, `the file would be ${8 + n + offset} bytes (${entries.length} tensors), more than can be allocated`);
  }
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let at = 8 + n;
  for (const [, t] of entries) {
    writeLE(t.data, out, at);
    at += t.data.byteLength;
  }
  return out;
}

/** Decodes a safetensors file; every tensor gets its own copy of its values. */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  const file = asBytes(bytes);
  if (file.length < 8) fail(LOAD, `file is ${file.length} bytes, shorter than the 8-byte header length that starts a safetensors file`);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(LOAD, `header length ${n64} is absurdly large (limit ${MAX_HEADER} bytes); not a safetensors file?`);
  const n = Number(n64);
  if (8 + n > file.length) fail(LOAD, `header length ${n} is larger than the ${file.length - 8} bytes after the length field (file truncated?)`);

  let text: string;
  try {
    // slice(): TextDecoder rejects views of a SharedArrayBuffer.
    text = utf8.decode(file.buffer instanceof ArrayBuffer ? file.subarray(8, 8 + n) : file.slice(8, 8 + n));
  } catch {
    fail(LOAD, `header (bytes 8..${8 + n}) is not valid UTF-8`);
  }
  const repeated = scanHeader(text); // throws on nesting deeper than MAX_DEPTH, before JSON.parse
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(LOAD, `header is not valid JSON (${preview(String((e as Error)?.message))}): ${preview(text)}`);
  }
  if (!isObject(header)) fail(LOAD, `header must be a JSON object, got ${describe(header)}`);
  if (repeated) {
    fail(LOAD, `header has the key ${quote(repeated.key)} twice in one object (character ${repeated.at}); JSON.parse would keep only the last`);
  }

  const data = file.subarray(8 + n);
  let metadata: Record<string, string> = {};
  const infos: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA) {
      checkMetadata(LOAD, entry);
      metadata = { ...entry };
      continue;
    }
    infos.push({ name, ...checkEntry(name, entry, data.length) });
  }

  // Tensors must tile the data buffer exactly: no overlaps, no gaps, no trailing bytes (as the reference).
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: (typeof infos)[number] | undefined;
  for (const t of byOffset) {
    if (t.begin < covered) {
      fail(LOAD, `tensors ${quote(previous!.name)} [${previous!.begin}, ${previous!.end}] and ${quote(t.name)} [${t.begin}, ${t.end}] overlap`);
    }
    if (t.begin > covered) fail(LOAD, `gap: bytes ${covered}..${t.begin} of the data buffer belong to no tensor (before ${quote(t.name)})`);
    covered = t.end;
    previous = t;
  }
  if (covered !== data.length) {
    fail(LOAD, `${data.length - covered} trailing bytes: the data buffer is ${data.length} bytes but the tensors cover ${covered}`);
  }

  const tensors = Object.fromEntries(infos.map(({ name, dtype, shape, begin, end }) => [name, { dtype, shape, data: readLE(dtype, data, begin, end) }]));
  return { tensors, metadata };
}

/** Reads every tensor's values (t.data(), all started at the call) and encodes them. */
export async function saveSafetensors(params: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (!(params instanceof Map) && !isPlainObject(params)) fail(SAVE, `expected an object or Map of tensors, got ${describe(params)}`);
  // Everything is checked before any value is read (reading computes pending tensors).
  const named: [string, Tensor][] = [];
  for (const [name, t] of params instanceof Map ? params : Object.entries(params)) {
    checkName(name);
    if (!(t instanceof Tensor)) fail(SAVE, `${quote(name)} is ${describe(t)}, not a Tensor`);
    t.value.assertUsable(SAVE);
    named.push([name, t]);
  }
  if (metadata !== undefined) checkMetadata(SAVE, metadata);
  // Every read starts now, so the file holds the values of this moment even if training goes on.
  const values = await Promise.all(named.map(([, t]) => t.data()));
  const raw: Record<string, RawTensor> = {};
  for (const [i, [name, t]] of named.entries()) {
    // defineProperty: a tensor named "__proto__" must become an entry, not the object's prototype.
    Object.defineProperty(raw, name, {
      value: { dtype: t.dtype, shape: [...t.shape], data: values[i] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return encodeSafetensors(raw, metadata);
}

/** Decodes and returns new chainrule tensors (leaves holding the decoded copies). */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const entries = Object.entries(decodeSafetensors(bytes).tensors);
  // All or nothing: every tensor must fit the current device (size limits) before any is made.
  for (const [, t] of entries) backendFor(t.dtype).checkSize(LOAD, t);
  return Object.fromEntries(entries.map(([name, t]) => [name, fromValues(t.data, t.shape)]));
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') fail(SAVE, `tensor names must be strings, got ${describe(name)}`);
  if (name === '') fail(SAVE, 'tensor name is empty');
  if (name === METADATA) fail(SAVE, `"${METADATA}" is reserved for the metadata and cannot name a tensor`);
}

function checkRaw(name: string, t: RawTensor): void {
  checkName(name);
  if (!isObject(t)) fail(SAVE, `${quote(name)} is ${describe(t)}, not {dtype, shape, data}`);
  if (typeof t.dtype !== 'string' || !Object.hasOwn(toFile, t.dtype)) {
    fail(SAVE, `${quote(name)} has dtype ${describe(t.dtype)}; supported: ${Object.keys(toFile).join(', ')}`);
  }
  if (!isShape(t.shape)) {
    fail(SAVE, `${quote(name)} has shape ${describe(t.shape)}; expected an array of non-negative integers`);
  }
  const array = arrays[t.dtype];
  if (!(t.data instanceof array)) fail(SAVE, `${quote(name)} is ${t.dtype} but its data is ${describe(t.data)}, not a ${array.name}`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) fail(SAVE, `${quote(name)} has ${t.data.length} values but shape ${describe(t.shape)} needs ${size}`);
}

function checkMetadata(op: string, metadata: unknown): asserts metadata is Record<string, string> {
  if (!isPlainObject(metadata)) fail(op, `${METADATA} must be an object of strings, got ${describe(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(op, `${METADATA} value of ${quote(key)} is ${describe(value)}; values must be strings`);
  }
}

/** Validates one header entry against the spec and the data buffer's length. */
function checkEntry(name: string, entry: unknown, dataLength: number): { dtype: DType; shape: number[]; begin: number; end: number } {
  const what = `tensor ${quote(name)}`;
  if (!isObject(entry)) fail(LOAD, `${what} must be an object {dtype, shape, data_offsets}, got ${describe(entry)}`);
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(entry, key)) fail(LOAD, `${what} is missing "${key}"`);
  }
  const { dtype: fileDtype, shape, data_offsets: offsets } = entry;
  if (typeof fileDtype !== 'string') fail(LOAD, `${what} has dtype ${describe(fileDtype)}; expected a string`);
  if (!Object.hasOwn(fromFile, fileDtype)) {
    fail(LOAD, `${what} has unsupported dtype ${quote(fileDtype)}; supported: ${Object.keys(fromFile).join(', ')}`);
  }
  const dtype = fromFile[fileDtype as FileDType];
  if (!isShape(shape)) {
    fail(LOAD, `${what} has shape ${describe(shape)}; expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(LOAD, `${what} has data_offsets ${describe(offsets)}; expected [begin, end], non-negative integers with begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) fail(LOAD, `${what} has data_offsets [${begin}, ${end}], beyond the end of the ${dataLength}-byte data buffer`);
  const bytes = shape.reduce((a: number, b: number) => a * b, 1) * itemSize[dtype];
  if (end - begin !== bytes) {
    fail(LOAD, `${what} (${fileDtype}, shape ${describe(shape)}) needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype, shape: [...shape], begin, end };
}

function writeLE(values: RawTensor['data'], out: Uint8Array, at: number): void {
  if (hostLittleEndian) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, values.byteLength);
  const size = values.BYTES_PER_ELEMENT;
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) view.setFloat32(i * size, values[i], true);
    else if (values instanceof Float64Array) view.setFloat64(i * size, values[i], true);
    else view.setInt32(i * size, values[i], true);
  }
}

// Copies first: the slice owns an aligned buffer (a Float32Array at an offset not a multiple of 4 throws).
function readLE(dtype: DType, data: Uint8Array, begin: number, end: number): RawTensor['data'] {
  const copy = data.slice(begin, end);
  const values = new arrays[dtype](copy.buffer);
  if (!hostLittleEndian) {
    const view = new DataView(copy.buffer);
    for (let i = 0; i < values.length; i++) {
      const at = i * values.BYTES_PER_ELEMENT;
      values[i] = dtype === 'float32' ? view.getFloat32(at, true) : dtype === 'float64' ? view.getFloat64(at, true) : view.getInt32(at, true);
    }
  }
  return values;
}

function asBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  try {
    if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
    if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch {
    fail(LOAD, `cannot read the file's bytes from ${describe(bytes)} (a detached ArrayBuffer?)`);
  }
  return fail(LOAD, `expected the file as a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

/**
 * Scans the header text before JSON.parse: throws an OpError if it nests deeper than MAX_DEPTH (so
 * no recursive parse or message meets '[[[[...'), and returns the first key repeated within one object
 * (JSON.parse would silently keep the last). Exact on valid JSON; on invalid JSON it can miss things,
 * but JSON.parse stops at the first error, no deeper than the scan has gone.
 */
function scanHeader(text: string): { key: string; at: number } | undefined {
  const objects: (Set<string> | null)[] = []; // per open container: the keys seen (null for an array)
  let expectKey = false;
  let repeated: { key: string; at: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote, stepping over escapes
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) {
          escaped = true;
          i++;
        }
      }
      const keys = objects[objects.length - 1];
      if (expectKey && keys && repeated === undefined) {
        const key = escaped ? unescape(text.slice(start, i + 1)) : text.slice(start + 1, i);
        if (keys.has(key)) repeated = { key, at: start };
        else keys.add(key);
      }
      expectKey = false;
    } else if (c === 0x7b || c === 0x5b) {
      if (objects.length >= MAX_DEPTH) {
        fail(
          LOAD,
          `header nests deeper than ${MAX_DEPTH} levels (character ${i}: ${preview(text.slice(Math.max(0, i - 20), i + 1))}); a safetensors header needs 3`,
        );
      }
      objects.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      objects.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = !!objects[objects.length - 1];
    }
  }
  return repeated;
}

/** The value of a JSON string literal with escapes (the literal itself if malformed: JSON.parse reports it). */
function unescape(literal: string): string {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : literal;
  } catch {
    return literal;
  }
}

/** A tensor name or metadata string as JSON, or an OpError if it cannot fit in a header. */
function jsonString(s: string): string {
  try {
    if (s.length <= MAX_HEADER) return JSON.stringify(s);
  } catch {
    // escaping can pass the engine's string length limit: then it is far too long anyway
  }
  return fail(SAVE, `${quote(s)} is ${s.length} characters, too long for a header of at most ${MAX_HEADER} bytes`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An object literal (or from JSON.parse, Object.fromEntries, Object.create(null)): not an array, Map or class instance. */
function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** An array of non-negative safe integers; by index, so holes in a sparse array count as bad. */
function isShape(x: unknown): x is number[] {
  if (!Array.isArray(x)) return false;
  for (let i = 0; i < x.length; i++) if (!isCount(x[i])) return false;
  return true;
}

/** A string for a message: quoted, escaped, cut at 80 characters. */
function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}

/**
 * A short description of a bad value for error messages, bounded in depth and length whatever the
 * value is (deep, cyclic, sparse, huge, exotic): no recursion past a few levels, no JSON.stringify.
 */
function describe(x: unknown): string {
  try {
    return preview(render(x, 3));
  } catch {
    return 'a value that cannot be shown';
  }
}

function render(x: unknown, depth: number): string {
  if (typeof x === 'string') return quote(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol') return 'a symbol';
  if (typeof x === 'function') return 'a function';
  if (typeof x !== 'object' || x === null) return String(x); // number, boolean, undefined, null
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return depth === 0 ? '[...]' : `[${items(x.length, (i) => render(x[i], depth - 1))}]`;
  const proto: unknown = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) {
    const name: unknown = (x as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}` : 'an object';
  }
  const keys = Object.keys(x);
  const record = x as Record<string, unknown>;
  return depth === 0 ? '{...}' : `{${items(keys.length, (i) => `${quote(keys[i])}:${render(record[keys[i]], depth - 1)}`)}}`;
}

/** The first items of a list, until about 80 characters, then "...". */
function items(n: number, item: (i: number) => string): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; i < n; i++) {
    if (length > 80) {
      out.push('...');
      break;
    }
    const s = item(i);
    out.push(s);
    length += s.length + 1;
  }
  return out.join(',');
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
