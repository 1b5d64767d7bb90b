// A small typed parser for --name value flags: each flag has a kind, and bad input is a UsageError
// (the CLIs print it with their usage text and exit 2).

export class UsageError extends Error {}

export type FlagSpec =
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'int'; min?: number }
  | { kind: 'number'; min?: number }
  | { kind: 'sizes' }
  | { kind: 'choice'; choices: readonly string[] };

type Value<S extends FlagSpec> = S extends { kind: 'bool' }
  ? boolean
  : S extends { kind: 'int' | 'number' }
    ? number
    : S extends { kind: 'sizes' }
      ? number[]
      : S extends { kind: 'choice'; choices: readonly (infer C)[] }
        ? C
        : string;

export type Flags<T extends Record<string, FlagSpec>> = { [K in keyof T]?: Value<T[K]> };

/** Parses `--name value` (or `--name=value`; bools take no value) against the specs. */
export function parseFlags<T extends Record<string, FlagSpec>>(argv: readonly string[], specs: T): Flags<T> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'bool') {
      out[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    out[name] = convert(name, spec, raw);
  }
  return out as Flags<T>;
}

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'string':
      return raw;
    case 'choice':
      if (!spec.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(raw)}`);
      return raw;
    case 'sizes': {
      const sizes = raw.split(',').map(Number);
      if (!sizes.every((s) => Number.isInteger(s) && s >= 1))
        throw new UsageError(`--${name} must be positive whole numbers separated by commas, got ${JSON.stringify(raw)}`);
      return sizes;
    }
    case 'int':
    case 'number': {
      const v = Number(raw);
      const whole = spec.kind === 'int';
      if (raw.trim() === '' || !Number.isFinite(v) || (whole && !Number.isInteger(v)) || (spec.min !== undefined && v < spec.min)) {
        const what = whole ? 'a whole number' : 'a number';
        throw new UsageError(`--${name} must be ${what}${spec.min !== undefined ? ` >= ${spec.min}` : ''}, got ${JSON.stringify(raw)}`);
      }
      return v;
    }
    case 'bool':
      return true;
  }
}
