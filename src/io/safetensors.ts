/**
 * The safetensors format (https://github.com/huggingface/safetensors), readable by PyTorch's
 * `safetensors` package: an 8-byte little-endian header length N, N bytes of UTF-8 JSON header, then
 * the data buffer. Each header entry is {dtype, shape, data_offsets: [begin, end]}, offsets relative to
 * the data buffer; values are little-endian, contiguous, row-major. Only the dtypes chainrule has.
 */
import { fail } from '../errors.ts';
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
const METADATA = '__metadata__';
const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const SAVE = 'saveSafetensors';
const LOAD = 'loadSafetensors';

/** Encodes tensors (and optional string metadata) as a safetensors file. */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  if (typeof tensors !== 'object' || tensors === null) fail(SAVE, `expected an object of tensors, got ${describe(tensors)}`);
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) checkRaw(name, t);
  entries.sort(([a, x], [b, y]) => writeRank[x.dtype] - writeRank[y.dtype] || (a < b ? -1 : a > b ? 1 : 0));

  // Built by hand, not JSON.stringify(object): objects list integer-like keys ("10", "2") first.
  const parts: string[] = [];
  if (metadata !== undefined) {
    checkMetadata(SAVE, metadata);
    if (Object.keys(metadata).length > 0) parts.push(`${JSON.stringify(METADATA)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: toFile[t.dtype], shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8; // spaces pad the header so the data starts 8-byte aligned
  if (n > MAX_HEADER) fail(SAVE, `header is ${n} bytes, more than the ${MAX_HEADER} bytes safetensors readers accept`);

  const out = new Uint8Array(8 + n + offset);
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
    // fatal: invalid UTF-8 throws instead of becoming U+FFFD; ignoreBOM: a BOM stays and fails JSON.parse, as in the reference.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(file.subarray(8, 8 + n));
  } catch {
    fail(LOAD, `header (bytes 8..${8 + n}) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(LOAD, `header is not valid JSON (${(e as Error).message}): ${preview(text)}`);
  }
  if (!isObject(header)) fail(LOAD, `header must be a JSON object, got ${describe(header)}`);

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
      fail(LOAD, `tensors "${previous!.name}" [${previous!.begin}, ${previous!.end}] and "${t.name}" [${t.begin}, ${t.end}] overlap`);
    }
    if (t.begin > covered) fail(LOAD, `gap: bytes ${covered}..${t.begin} of the data buffer belong to no tensor (before "${t.name}")`);
    covered = t.end;
    previous = t;
  }
  if (covered !== data.length) {
    fail(LOAD, `${data.length - covered} trailing bytes: the data buffer is ${data.length} bytes but the tensors cover ${covered}`);
  }

  const tensors = Object.fromEntries(
    infos.map(({ name, dtype, shape, begin, end }) => [name, { dtype, shape, data: readLE(dtype, data, begin, end) }]),
  );
  return { tensors, metadata };
}

/** Reads every tensor's values (await t.data()) and encodes them. */
export async function saveSafetensors(params: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  if (typeof params !== 'object' || params === null) fail(SAVE, `expected an object or Map of tensors, got ${describe(params)}`);
  const raw: Record<string, RawTensor> = {};
  for (const [name, t] of params instanceof Map ? params : Object.entries(params)) {
    checkName(name);
    if (!(t instanceof Tensor)) fail(SAVE, `"${name}" is ${describe(t)}, not a Tensor`);
    // defineProperty: a tensor named "__proto__" must become an entry, not the object's prototype.
    Object.defineProperty(raw, name, {
      value: { dtype: t.dtype, shape: [...t.shape], data: await t.data() },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return encodeSafetensors(raw, metadata);
}

/** Decodes and returns new chainrule tensors (leaves holding the decoded copies). */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  const { tensors } = decodeSafetensors(bytes);
  return Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, fromValues(t.data, t.shape)]));
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string') fail(SAVE, `tensor names must be strings, got ${describe(name)}`);
  if (name === '') fail(SAVE, 'tensor name is empty');
  if (name === METADATA) fail(SAVE, `"${METADATA}" is reserved for the metadata and cannot name a tensor`);
}

function checkRaw(name: string, t: RawTensor): void {
  checkName(name);
  if (!isObject(t)) fail(SAVE, `"${name}" is ${describe(t)}, not {dtype, shape, data}`);
  if (!Object.hasOwn(toFile, t.dtype)) {
    fail(SAVE, `"${name}" has dtype ${describe(t.dtype)}; supported: ${Object.keys(toFile).join(', ')}`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
    fail(SAVE, `"${name}" has shape ${describe(t.shape)}; expected an array of non-negative integers`);
  }
  const array = arrays[t.dtype];
  if (!(t.data instanceof array)) fail(SAVE, `"${name}" is ${t.dtype} but its data is ${describe(t.data)}, not a ${array.name}`);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) fail(SAVE, `"${name}" has ${t.data.length} values but shape [${t.shape.join(',')}] needs ${size}`);
}

function checkMetadata(op: string, metadata: unknown): asserts metadata is Record<string, string> {
  if (!isObject(metadata)) fail(op, `${METADATA} must be an object of strings, got ${describe(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') fail(op, `${METADATA} value of "${key}" is ${describe(value)}; values must be strings`);
  }
}

/** Validates one header entry against the spec and the data buffer's length. */
function checkEntry(name: string, entry: unknown, dataLength: number): { dtype: DType; shape: number[]; begin: number; end: number } {
  const what = `tensor "${name}"`;
  if (!isObject(entry)) fail(LOAD, `${what} must be an object {dtype, shape, data_offsets}, got ${describe(entry)}`);
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(entry, key)) fail(LOAD, `${what} is missing "${key}"`);
  }
  const { dtype: fileDtype, shape, data_offsets: offsets } = entry;
  if (typeof fileDtype !== 'string') fail(LOAD, `${what} has dtype ${describe(fileDtype)}; expected a string`);
  if (!Object.hasOwn(fromFile, fileDtype)) {
    fail(LOAD, `${what} has unsupported dtype "${fileDtype}"; supported: ${Object.keys(fromFile).join(', ')}`);
  }
  const dtype = fromFile[fileDtype as FileDType];
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(LOAD, `${what} has shape ${describe(shape)}; expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(LOAD, `${what} has data_offsets ${describe(offsets)}; expected [begin, end], non-negative integers with begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) fail(LOAD, `${what} has data_offsets [${begin}, ${end}], beyond the end of the ${dataLength}-byte data buffer`);
  const bytes = shape.reduce((a: number, b: number) => a * b, 1) * itemSize[dtype];
  if (end - begin !== bytes) {
    fail(LOAD, `${what} (${fileDtype}, shape [${shape.join(',')}]) needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
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
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fail(LOAD, `expected the file as a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** A short description of a bad value for error messages. */
function describe(x: unknown): string {
  if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean') return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return preview(JSON.stringify(x) ?? 'an array');
  if (typeof x === 'object') return x.constructor?.name && x.constructor !== Object ? `a ${x.constructor.name}` : preview(safeJson(x));
  return typeof x;
}

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
