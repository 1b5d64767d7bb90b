import { describe, expect, it } from 'vitest';
import { registry } from '../../src/ops/registry.ts';
import type { AnyOpSpec } from '../../src/ops/spec.ts';
import { formatSpecial, specialOnCpu, specialRows } from '../helpers.ts';

// IEEE special values (NaN, ±Infinity, ±0) on the CPU reference, against PyTorch's results as each
// op's spec tabulates them (spec.test.special; the elementwise ops get a full table from their
// `pytorch` formulas). The same tables run on WebGPU in test/gpu-checks.ts. A new op gets these checks
// with no new test code; one with a float input and no table fails the coverage check below.

const hasFloatInput = (spec: AnyOpSpec) => spec.inputs.some((input) => input.dtype !== 'int32');
const tabulated = registry.filter((spec) => (spec.test.special ?? []).length > 0);

describe.each(tabulated.map((spec) => [spec.name, spec] as const))('%s', (_name, spec: AnyOpSpec) => {
  it.each(['float32', 'float64'] as const)('forward and VJP match PyTorch on special values on the CPU reference (%s)', (dtype) => {
    const rows = spec.test.special!.flatMap((c) => specialRows(spec, c, specialOnCpu(spec, c, dtype)));
    expect(rows.length).toBeGreaterThan(0);
    const failures = rows.filter((r) => !r.ok);
    expect(failures.length, `${failures.length} of ${rows.length} values differ from PyTorch:${formatSpecial(failures)}`).toBe(0);
  });
});

describe('special-value tables', () => {
  it('every op with a float input has one', () => {
    const missing = registry.filter((spec) => hasFloatInput(spec) && !tabulated.includes(spec));
    expect(missing.map((s) => s.name)).toEqual([]);
  });

  it('the elementwise tables cross every special value: each unary op 8 x 8 (x, dy), each binary op 8 x 8 x 8 (a, b, dy)', () => {
    for (const name of ['neg', 'exp', 'log', 'sqrt', 'reciprocal', 'sigmoid', 'tanh', 'relu']) {
      expect(registry.find((s) => s.name === name)!.test.special![0].inputs[0], name).toHaveLength(64);
    }
    for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum']) {
      expect(registry.find((s) => s.name === name)!.test.special![0].inputs[1], name).toHaveLength(512);
    }
  });

  it('prints a readable table of failures', () => {
    const relu = registry.find((s) => s.name === 'relu')!;
    const wrong = { inputs: [[-1]], y: [0], dy: [NaN], dx: [[1]], elementwise: true };
    const table = formatSpecial(specialRows(relu, wrong, specialOnCpu(relu, wrong, 'float32')).filter((r) => !r.ok));
    expect(table).toMatch(/op\s+kernel\s+input\s+want\s+cpu\s+gpu\n/);
    expect(table).toMatch(/relu\s+relu_vjp \(input 0\)\s+x=-1 dy=NaN \[0\]\s+1\s+0\s+-/);
  });
});
