/** Base class of every error chainrule throws on purpose. */
export class ChainruleError extends Error {
  override name = 'ChainruleError';
}

/** Thrown when a requested device cannot be used; the message says why. */
export class DeviceError extends ChainruleError {
  override name = 'DeviceError';
}

/** The device failed: lost, out of memory, or a validation error. Names the adapter and the cause. */
export class GpuError extends ChainruleError {
  override name = 'GpuError';
}

/** A shader that does not compile, or a pipeline the device rejects; names the .wgsl file and line. */
export class ShaderError extends ChainruleError {
  override name = 'ShaderError';
}

/**
 * The numerics guard (cr.init({ checkNumerics: true })) found a NaN or an infinity: names the op, its
 * forward or backward, the shapes, the first bad element and the user's line.
 */
export class NumericsError extends ChainruleError {
  override name = 'NumericsError';
  constructor(detail: string, at: Error = here()) {
    super(`${detail}${userFrame(at.stack)}`);
  }
}

/** A user's mistake caught while building the graph: bad shapes, dtypes, labels, data. */
export class OpError extends ChainruleError {
  override name = 'OpError';
  /**
   * `at`: an Error made where the user's call was (its first frame outside chainrule ends the
   * message), for errors found later (a device reports a bad label at the next readback).
   */
  constructor(
    readonly op: string,
    readonly detail: string,
    at: Error = here(),
  ) {
    super(`${op}: ${detail}${userFrame(at.stack)}`);
  }
}

/** A broken invariant inside chainrule: always a bug, never the user's fault. */
export class InternalError extends ChainruleError {
  override name = 'InternalError';
  constructor(detail: string) {
    super(`internal error (a bug in chainrule, please report it): ${detail}`);
  }
}

/** Throws an OpError: `fail('matmul', 'inner dimensions differ (a [2,3] @ b [4,5])')`. */
export function fail(op: string, detail: string): never {
  throw new OpError(op, detail);
}

export function assert(condition: unknown, detail: string): asserts condition {
  if (!condition) throw new InternalError(detail);
}

// Frames of chainrule's own files start with this prefix (src/ in development, dist/ when built).
// NOTE: not `new URL('.', import.meta.url)`: bundlers rewrite that pattern into an asset reference.
const libraryDir = new URL(import.meta.url).pathname.replace(/[^/]*$/, '');

/**
 * An Error holding the current stack, deep enough to reach the user's frame below chainrule's own
 * (V8 keeps 10 frames by default). Cheap: V8 formats the stack only when it is read.
 */
export function here(): Error {
  const limit = Error.stackTraceLimit;
  if (limit > 0) Error.stackTraceLimit = Math.max(limit, 40); // 0: the program turned stacks off
  const e = new Error();
  Error.stackTraceLimit = limit;
  return e;
}

/** The first stack frame outside chainrule, e.g. "\n    at train.ts:12:7", or "" if none is found. */
export function userFrame(stack = here().stack): string {
  const frame = firstUserFrame(stack);
  return frame ? `\n    at ${frame}` : '';
}

/** "file:line:col" of the first frame outside chainrule (and outside node internals). */
export function firstUserFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    const where = /\(?((?:file|https?):\/\/[^\s()]+|\/[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!where) continue;
    const path = where[1].startsWith('/') ? where[1] : new URL(where[1]).pathname;
    if (path.startsWith(libraryDir) || path.includes('/node_modules/') || path.startsWith('node:')) continue;
    return `${where[1]}:${where[2]}:${where[3]}`;
  }
  return undefined;
}
