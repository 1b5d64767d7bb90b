import { describe, expect, it } from 'vitest';
import { FULL_COUNTS, runFuzz, type FuzzResult } from '../../bench/fuzz.ts';

// The generators and the runner are bench/fuzz.ts's (`npx tsx bench/fuzz.ts` runs 100,000 inputs of
// every target, with stack traces). Case i depends only on the seed and i, so the same inputs run
// every time, and a failure prints "case i (seed 1)" to reproduce it. Stack traces are off while the
// inputs run: each OpError would spend ~0.1 ms finding the user's line through source maps (the
// message is checked all the same, less that line). Measured on the 2-core machine: ~5 s of tests,
// ~6.5 s with vitest's start (decodeSafetensors 2.4 s, parseIdx 0.9 s, the others 0.3-0.8 s each);
// with stack traces on, the 100,000 decodeSafetensors inputs alone took 10-12 s.
const COUNTS: Record<string, number> = {
  decodeSafetensors: 100_000,
  parseIdx: 100_000,
  mnistFromBytes: 20_000,
  loadSafetensors: 20_000,
  encodeSafetensors: 20_000,
};
const SEED = 1;

// Kinds of OpError each target must reach (as runFuzz normalizes them: numbers as #, strings as _), so
// the inputs exercise every check of the parser, not only the first ones.
const mustReach: Record<string, string[]> = {
  decodeSafetensors: [
    'expected the file as a Uint#Array or ArrayBuffer',
    "cannot read the file's bytes",
    'file is # bytes, shorter than',
    'is absurdly large',
    'bytes after the length field',
    'is not valid UTF#',
    'header nests deeper than # levels',
    'header is not valid JSON',
    'header must be a JSON object',
    'twice in one object',
    'must be an object {dtype, shape, data_offsets}',
    'is missing _',
    'has dtype',
    'has unsupported dtype',
    'has shape',
    'has data_offsets',
    'beyond the end of the',
    'needs # bytes but data_offsets',
    'overlap',
    'gap: bytes',
    'trailing bytes',
    '__metadata__ must be an object of strings',
    '__metadata__ value of',
  ],
  parseIdx: [
    "expected the file's bytes as a Uint#Array",
    'the file name must be a string',
    '# bytes is too short for an IDX header (...)',
    'is too short for an IDX header with # dimensions',
    'bad IDX magic',
    'IDX type # (...) is not supported',
    'IDX unknown type # is not supported',
    'dimensions is not supported',
    'needs # data bytes',
  ],
  mnistFromBytes: [
    'expected the files as',
    'must be a Uint#Array',
    'images must have shape',
    'labels must have shape',
    'images but',
    'label at index',
    'options must be an object',
    'options.train must be an integer from',
    'holds no images',
    'bad IDX magic',
  ],
  loadSafetensors: ['header nests deeper than # levels', 'header is not valid JSON', 'overlap', 'gap: bytes'],
  encodeSafetensors: [
    'expected an object of tensors',
    'tensor name is empty',
    'is reserved for the metadata',
    ', not {dtype, shape, data}',
    'has dtype',
    'has shape',
    'but its data is',
    'values but shape',
    '__metadata__ must be an object of strings',
    '__metadata__ value of',
  ],
};

function report(r: FuzzResult): string {
  const kinds = [...r.kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${n} ${k}`);
  return `${r.target}: ${r.clean} clean, ${r.opErrors} OpErrors, ${r.other} other in ${r.ms.toFixed(0)} ms\n${r.failures.join('\n')}\n${kinds.join('\n')}`;
}

describe('fuzzed inputs to the file parsers decode cleanly or throw an OpError that names the function called', () => {
  for (const [name, count] of Object.entries(COUNTS)) {
    it(`${name}: ${count} seeded inputs (${FULL_COUNTS[name]} in bench/fuzz.ts)`, () => {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      let r: FuzzResult;
      try {
        r = runFuzz(name, count, SEED);
      } finally {
        Error.stackTraceLimit = limit;
      }
      expect(r.failures, report(r)).toEqual([]);
      expect(r.other).toBe(0);
      expect(r.clean + r.opErrors).toBe(count);
      // Both outcomes are common: the inputs are near enough to valid files to get past the first checks.
      expect(r.clean, report(r)).toBeGreaterThan(count * 0.03);
      expect(r.opErrors, report(r)).toBeGreaterThan(count * 0.3);
      const kinds = [...r.kinds.keys()];
      for (const kind of mustReach[name])
        expect(
          kinds.some((k) => k.includes(kind)),
          `${kind}\n${report(r)}`,
        ).toBe(true);
    }, 60_000);
  }
});
