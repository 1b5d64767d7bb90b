// The op surface follows from the registry: every op is cr.<name> and a Tensor method of the same
// (camelCase) name, both calling the same spec; adding an op needs no edit here.
import * as cr from 'chainrule';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/ops/registry.ts';
import type { AnyOpSpec } from '../../src/ops/spec.ts';
import { fromValues } from '../../src/tensor.ts';
import { randomInputs, toFloat32 } from '../helpers.ts';

const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The op's first test case as tensors, with the extra arguments a user passes. */
function callArgs(spec: AnyOpSpec): { inputs: cr.Tensor[]; args: unknown[] } {
  const args = toFloat32(randomInputs(spec, spec.test.cases[0], 1));
  return { inputs: args.map((a) => fromValues(a.data, a.shape)), args: [...(spec.test.args ?? [])] };
}

describe.each(registry.map((spec) => [spec.name, spec] as const))('%s', (name, spec) => {
  const fn = (cr as unknown as Record<string, ((...a: unknown[]) => cr.Tensor) & { spec?: AnyOpSpec }>)[camel(name)];

  it(`is cr.${camel(name)}, made from its spec`, () => {
    expect(typeof fn).toBe('function');
    expect(fn.spec).toBe(spec);
  });

  it(`is callable as cr.${camel(name)}(x, ...) and as x.${camel(name)}(...), with the same result`, async () => {
    await cr.init({ device: 'cpu' });
    const { inputs, args } = callArgs(spec);
    const viaFunction = fn(...inputs, ...args);
    const method = (inputs[0] as unknown as Record<string, (...a: unknown[]) => cr.Tensor>)[camel(name)];
    expect(typeof method).toBe('function');
    const viaMethod = method.call(inputs[0], ...inputs.slice(1), ...args);
    expect(viaMethod.shape).toEqual(viaFunction.shape);
    expect(Array.from(await viaMethod.data())).toEqual(Array.from(await viaFunction.data()));
  });
});

describe('the surface', () => {
  it('has a function for every op in the registry and no op function outside it', () => {
    const opFunctions = Object.entries(cr)
      .filter(([, v]) => typeof v === 'function' && 'spec' in v)
      .map(([k]) => k);
    expect(opFunctions.sort()).toEqual(registry.map((s) => camel(s.name)).sort());
  });
});
