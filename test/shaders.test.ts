import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { bundle } from '../src/cli/bundle-shaders.ts';
import { shaderSources } from '../src/backend/webgpu/shaders.gen.ts';
import { registry, updates } from '../src/ops/index.ts';
import { updateBindings } from '../src/ops/update.ts';
import { kernelBindings } from '../src/ops/spec.ts';
import { CHECK_FINITE } from '../src/backend/webgpu/checks.ts';

// Every shader against its spec, without a GPU: one file per op, its entry points, and for each entry
// exactly the bindings the spec derives (name, number, access).

const dir = new URL('../shaders/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).map((f) => f.replace(/\.wgsl$/, ''));

describe('shaders', () => {
  it('the bundle is up to date with shaders/*.wgsl', async () => {
    const generated = readFileSync(new URL('../src/backend/webgpu/shaders.gen.ts', import.meta.url), 'utf8');
    expect(generated, 'run npm run shaders').toBe(bundle());
  });

  it('every op and update has exactly one shader file and every shader file one op or update (or the numerics guard)', () => {
    expect(files.sort()).toEqual([...[...registry, ...updates].map((s) => s.name), 'check_finite'].sort());
  });

  it('check_finite: the entry point and bindings the backend binds', () => {
    const reflect = new WgslReflect(shaderSources.check_finite.code);
    expect(reflect.entry.compute.map((e) => e.name)).toEqual(['check_finite']);
    expect(resources(reflect.entry.compute[0])).toEqual(CHECK_FINITE.map(({ name, binding, type }) => ({ name, binding, type, group: 0 })));
  });

  it.each(updates.map((s) => [s.name, s] as const))('%s: the update entry point and bindings match the spec', (name, spec) => {
    const reflect = new WgslReflect(shaderSources[name].code);
    expect(reflect.entry.compute.map((e) => e.name)).toEqual([`${name}_step`]);
    expect(resources(reflect.entry.compute[0])).toEqual(updateBindings(spec).map((b) => ({ ...b, group: 0 })));
  });

  it.each(registry.map((s) => [s.name, s] as const))('%s: entry points and bindings match the spec', (name, spec) => {
    const own = readFileSync(new URL(`${name}.wgsl`, dir), 'utf8').split('\n');
    const header = own.findIndex((line) => !line.startsWith('//'));
    expect(header, 'a header of 1 to 6 comment lines').toBeGreaterThan(0);
    expect(header).toBeLessThanOrEqual(6);

    const reflect = new WgslReflect(shaderSources[name].code);
    const entries = reflect.entry.compute.map((e) => e.name).sort();
    expect(entries).toEqual(spec.vjp ? [`${name}_fwd`, `${name}_vjp`] : [`${name}_fwd`]);
    const bindings = kernelBindings(spec);
    for (const entry of reflect.entry.compute) {
      const want = entry.name.endsWith('_fwd') ? bindings.fwd : bindings.vjp;
      expect(resources(entry), entry.name).toEqual(want.map(({ name, binding, type }) => ({ name, binding, type, group: 0 })));
    }
  });
});

/** The bindings an entry point uses, as kernelBindings describes them, by binding number. */
function resources(entry: { resources: { name: string; binding: number; group: number; resourceType: number; access: string }[] }) {
  return entry.resources
    .map((r) => ({
      name: r.name,
      binding: r.binding,
      group: r.group,
      type: r.resourceType === 0 ? 'uniform' : r.access === 'read' ? 'read-only-storage' : 'storage',
    }))
    .sort((x, y) => x.binding - y.binding);
}
