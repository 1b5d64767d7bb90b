import { fail } from '../errors.ts';

// Element types an IDX file may declare; only unsigned bytes (MNIST's type) are read.
const types: Record<number, string> = { 0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64' };

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * Parses an IDX file (the MNIST format): 2 zero bytes, a type byte, a dimension count, that many
 * big-endian u32 sizes, then the data. Returns the shape and a view of the data (no copy).
 * `name` (the file name) only appears in error messages.
 */
export function parseIdx(bytes: Uint8Array, name = 'idx'): { shape: number[]; data: Uint8Array } {
  if (bytes.length < 4) fail('mnist', `${name}: ${bytes.length} bytes is too short for an IDX header (needs at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail('mnist', `${name}: bad IDX magic ${hex(bytes[0])} ${hex(bytes[1])} (expected 0x00 0x00); is this an IDX file (not gzipped)?`);
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const what = type in types ? `type ${hex(type)} (${types[type]})` : `unknown type ${hex(type)}`;
    fail('mnist', `${name}: IDX ${what} is not supported; only unsigned-byte IDX (type 0x08) is`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) fail('mnist', `${name}: IDX with ${ndim} dimensions is not supported (expected 1 to 4)`);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    fail('mnist', `${name}: ${bytes.length} bytes is too short for an IDX header with ${ndim} dimensions (needs ${header})`);
  }
  // DataView over the caller's buffer: bytes may be a view at any offset (e.g. a Node Buffer from a pool).
  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const got = bytes.length - header;
  if (got !== expected) {
    const why = got < expected ? 'truncated file?' : 'trailing bytes';
    fail('mnist', `${name}: IDX shape [${shape.join(', ')}] needs ${expected} data bytes, got ${got} (${why})`);
  }
  return { shape, data: bytes.subarray(header) };
}
