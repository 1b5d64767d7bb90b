import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as cr from 'chainrule';
import { apply, fromValues } from '../../src/tensor.ts';
import { registry, updates } from '../../src/ops/registry.ts';
import { relativeError } from '../../src/gradcheck.ts';
import { kernelBindings, type AnyOpSpec } from '../../src/ops/spec.ts';
import { castTo, dot, flat, maxError, randomCotangent, randomInputs, runForward } from '../helpers.ts';

// One parametrised suite over the registry: a new op gets all of these checks without new test code.

// Central differences in float64: rounding error ~1e-16 |f| / EPS, truncation ~EPS^2 |f'''|, both
// far below TOL for these inputs; a wrong VJP is off by far more.
const EPS = 1e-5;
const TOL = 1e-5;

describe.each(registry.map((spec) => [spec.name, spec] as const))('%s', (_name, spec: AnyOpSpec) => {
  it('golden examples match the CPU forward', async () => {
    expect(spec.test.golden.length).toBeGreaterThan(0);
    for (const g of spec.test.golden) {
      const inputs = g.inputs.map((v, i) => cr.tensor(v as cr.NestedArray, { dtype: spec.inputs[i].dtype === 'int32' ? 'int32' : 'float32' }));
      const y = apply(spec, inputs, g.attrs ?? {});
      expect(maxError(await y.data(), flat(g.y))).toBeLessThan(1e-6);
      expect(y.shape).toEqual(cr.tensor(g.y as cr.NestedArray).shape);
    }
  });

  it.each(spec.test.cases.map((c, i) => [JSON.stringify(c), c, i] as const))(
    'VJP matches central differences in float64 for %s',
    async (_label, c, caseIndex) => {
      const args = randomInputs(spec, c, 1000 + caseIndex);
      const x = args.map((a, i) => fromValues(a.data, a.shape, spec.inputs[i].differentiable));
      const y = apply(spec, x, c.attrs ?? {});
      expect(y.dtype).toBe(runForward(spec, args, c.attrs).dtype); // the graph's output dtype is the reference's (float64 from float64 inputs)
      const dy = randomCotangent(y.size, 77 + caseIndex);
      const differentiable = spec.inputs.map((input) => input.differentiable);
      if (differentiable.some(Boolean)) y.backward(fromValues(dy, y.shape));

      for (let i = 0; i < args.length; i++) {
        if (!differentiable[i]) continue;
        const grad = x[i].grad;
        expect(grad, `input ${i} has a gradient`).not.toBeNull();
        expect(grad!.shape).toEqual(args[i].shape);
        const analytic = await grad!.data();
        const numeric = new Float64Array(args[i].data.length);
        for (let k = 0; k < numeric.length; k++) {
          const f = (delta: number) => {
            const moved = args.map((a, j) => (j === i ? { ...a, data: a.data.map((v, m) => (m === k ? v + delta : v)) } : a));
            return dot(runForward(spec, moved, c.attrs).data, dy);
          };
          numeric[k] = (f(EPS) - f(-EPS)) / (2 * EPS);
        }
        const { error, at } = relativeError(analytic, numeric);
        expect(error, `input ${i} element ${at}: analytic ${analytic[at]} vs numerical ${numeric[at]}`).toBeLessThan(TOL);
      }
    },
  );

  it('float32 forward agrees with the float64 forward', () => {
    for (const [i, c] of spec.test.cases.entries()) {
      const args = randomInputs(spec, c, 2000 + i);
      const y64 = runForward(spec, args, c.attrs);
      const y32 = runForward(
        spec,
        args.map((a) => (a.dtype === 'int32' ? a : { ...a, dtype: 'float32', data: castTo(a.data, 'float32') })),
        c.attrs,
      );
      expect(y32.data).toBeInstanceOf(y32.dtype === 'int32' ? Int32Array : Float32Array);
      expect(maxError(y32.data, y64.data)).toBeLessThan(1e-5);
    }
  });

  it('is well formed: an op file of its own, a VJP if differentiable, kernel bindings from its inputs', () => {
    expect(spec.name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(spec.test.cases.length).toBeGreaterThan(0);
    const differentiable = spec.inputs.some((i) => i.differentiable);
    expect(typeof spec.vjp === 'function').toBe(differentiable);
    const bindings = kernelBindings(spec);
    const names = (list: { name: string }[]) => list.map((b) => b.name);
    const err = spec.validates ? ['err'] : []; // the error slot of ops that check labels or indices
    expect(names(bindings.fwd)).toEqual(['p', ...spec.inputs.map((i) => i.name), 'y', ...err]);
    expect(names(bindings.vjp).slice(-2 - err.length)).toEqual(['dy', 'dx', ...err]);
    for (const s of spec.saves.inputs) expect(names(bindings.vjp)).toContain(spec.inputs[s].name);
  });
});

describe('registry', () => {
  it('lists every op and update file in src/ops exactly once', () => {
    const helpers = new Set(['index', 'registry', 'define', 'spec', 'elementwise', 'reduce', 'labels', 'loss', 'params', 'update']);
    const files = readdirSync(new URL('../../src/ops', import.meta.url))
      .map((f) => f.replace(/\.ts$/, ''))
      .filter((f) => !helpers.has(f));
    const names = [...registry, ...updates].map((s) => s.name);
    expect(names.sort()).toEqual(files.sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it('every op runs on an input of each of its test shapes without recording NaN where none is expected', () => {
    for (const spec of registry) {
      for (const [i, c] of spec.test.cases.entries()) {
        const y = runForward(spec, randomInputs(spec, c, 3000 + i), c.attrs);
        expect(Array.from(y.data).some(Number.isNaN), `${spec.name} ${JSON.stringify(c)}`).toBe(false);
      }
    }
  });
});
