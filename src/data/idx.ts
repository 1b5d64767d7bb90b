/** The IDX file format (MNIST): a strict parser. */
import { fail } from '../errors.ts';

// Element types an IDX file may declare; only unsigned bytes (MNIST's type) are read.
const types: Record<number, string> = { 0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64' };

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Parses an IDX file (the MNIST format): 2 zero bytes, a type byte, a dimension count, that many
 * big-endian u32 sizes, then the data. Returns the shape and a view of the data (no copy).
 * `name` (the file name) only appears in error messages. Any bad input (not a Uint8Array, a malformed
 * or truncated file) is an OpError starting "parseIdx:" that names the file.
 */
export function parseIdx(bytes: Uint8Array, name = 'idx'): { shape: number[]; data: Uint8Array } {
  return readIdx('parseIdx', bytes, name);
}

/** parseIdx whose errors name `op`, the function the user called (mnist and mnistFromBytes: "mnist"). */
export function readIdx(op: string, bytes: unknown, name: unknown = 'idx'): { shape: number[]; data: Uint8Array } {
  if (typeof name !== 'string') fail(op, `the file name must be a string, got ${describe(name)}`);
  if (!isBytes(bytes)) fail(op, `${name}: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 4) fail(op, `${name}: ${bytes.length} bytes is too short for an IDX header (needs at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(op, `${name}: bad IDX magic ${hex(bytes[0])} ${hex(bytes[1])} (expected 0x00 0x00); is this an IDX file (not gzipped)?`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const what = type in types ? `type ${hex(type)} (${types[type]})` : `unknown type ${hex(type)}`;
    fail(op, `${name}: IDX ${what} is not supported; only unsigned-byte IDX (type 0x08) is`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) fail(op, `${name}: IDX with ${ndim} dimensions is not supported (expected 1 to 4)`);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    fail(op, `${name}: ${bytes.length} bytes is too short for an IDX header with ${ndim} dimensions (needs ${header})`);
  }
  // DataView over the caller's buffer: bytes may be a view at any offset (e.g. a Node Buffer from a pool).
  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  // At most 4 factors below 2^32: a product past 2^53 is inexact, but then far from any real length.
  const expected = shape.reduce((a, b) => a * b, 1);
  const got = bytes.length - header;
  if (got !== expected) {
    const why = got < expected ? 'truncated file?' : 'trailing bytes';
    fail(op, `${name}: IDX shape [${shape.join(', ')}] needs ${expected} data bytes, got ${got} (${why})`);
  }
  return { shape, data: bytes.subarray(header) };
}

/** A Uint8Array (a Node Buffer too), also one made in another realm (an iframe, a jsdom test). */
export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array || (ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Uint8Array]');
}

/** A short description of a bad argument for error messages (never throws, never long). */
export function describe(x: unknown): string {
  if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean') return String(x);
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (typeof x !== 'object') return `a ${typeof x}`; // symbol, function
  const a = (name: string): string => `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
  try {
    if (ArrayBuffer.isView(x)) return `${a(x.constructor.name)} of ${x.byteLength} bytes`;
    if (x instanceof ArrayBuffer) return `an ArrayBuffer of ${x.byteLength} bytes (wrap it: new Uint8Array(buffer))`;
    if (Array.isArray(x)) return `an array of ${x.length} elements`;
    const name: unknown = Object.getPrototypeOf(x)?.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? a(name) : 'an object';
  } catch {
    return 'an object';
  }
}
