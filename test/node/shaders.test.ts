import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import * as cr from 'chainrule';
import { shaderSources } from 'virtual:chainrule/shaders';
import { buildShaders, root, shadersDir, WgslImportError } from '../../src/cli/wgsl.ts';
import { wgslShaders } from '../../src/cli/wgsl-vite.ts';
import { compile, Kernels, withPrelude } from '../../src/backend/webgpu/kernels.ts';
import { currentBackend } from '../../src/device.ts';
import { WORKGROUP } from '../../src/ops/params.ts';
import { registry, updates } from '../../src/ops/registry.ts';
import { updateBindings } from '../../src/ops/update.ts';
import { entryPoint, fwdVjpBindings, kernelBindings } from '../../src/ops/spec.ts';
import { CHECK_FINITE } from '../../src/backend/webgpu/checks.ts';

// Every shader against its spec, without a GPU: one file per op, its entry points, and for each entry
// exactly the bindings the spec derives (name, number, access).

const dir = new URL('../../shaders/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.wgsl'))
  .map((f) => f.replace(/\.wgsl$/, ''));

describe('shaders', () => {
  it('every op and update has exactly one shader file and every shader file one op or update (or the numerics guard)', () => {
    expect(files.sort()).toEqual([...[...registry, ...updates].map((s) => s.name), 'check_finite'].sort());
  });

  it('check_finite: the entry point and bindings the backend binds', () => {
    const reflect = new WgslReflect(withPrelude(shaderSources.check_finite).code);
    expect(reflect.entry.compute.map((e) => e.name)).toEqual(['check_finite']);
    expect(resources(reflect.entry.compute[0])).toEqual(CHECK_FINITE.map(({ name, binding, type }) => ({ name, binding, type, group: 0 })));
  });

  it.each(updates.map((s) => [s.name, s] as const))('%s: the update entry point and bindings match the spec', (name, spec) => {
    const reflect = new WgslReflect(withPrelude(shaderSources[name]).code);
    expect(reflect.entry.compute.map((e) => e.name)).toEqual([`${name}_step`]);
    expect(resources(reflect.entry.compute[0])).toEqual(updateBindings(spec).map((b) => ({ ...b, group: 0 })));
  });

  it.each(registry.map((s) => [s.name, s] as const))('%s: entry points and bindings match the spec', (name, spec) => {
    const own = readFileSync(new URL(`${name}.wgsl`, dir), 'utf8').split('\n');
    const header = own.findIndex((line) => !line.startsWith('//'));
    expect(header, 'a header of 1 to 6 comment lines').toBeGreaterThan(0);
    expect(header).toBeLessThanOrEqual(6);

    const reflect = new WgslReflect(withPrelude(shaderSources[name]).code);
    const entries = reflect.entry.compute.map((e) => e.name).sort();
    const kinds = spec.vjp ? (['fwd', 'vjp'] as const) : (['fwd'] as const);
    const variants = spec.gpu.variants?.names ?? [undefined]; // each variant has its own entry points
    const fused = spec.fwdVjp ? [`${name}_fwd_vjp`] : []; // the forward and VJP in one dispatch
    expect(entries).toEqual([...variants.flatMap((v) => kinds.map((k) => entryPoint(spec, k, v))), ...fused].sort());
    const bindings = kernelBindings(spec);
    for (const entry of reflect.entry.compute) {
      const want = entry.name.endsWith('_fwd_vjp') ? fwdVjpBindings(spec) : entry.name.endsWith('_fwd') ? bindings.fwd : bindings.vjp;
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

// The WGSL comes from shaders/ whenever something imports `virtual:chainrule/shaders` (the vite plugin
// for vite, vitest and the builds; the Node hook for tsx scripts): no generated file, no manual step.

const temporary: string[] = [];
afterAll(() => temporary.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = (prefix: string) => temporary[temporary.push(mkdtempSync(join(tmpdir(), prefix))) - 1];

/** A copy of shaders/ in a fresh directory (as <tmp>/shaders), and a function that edits one of its files. */
function copyOfShaders() {
  const tmp = tempDir('chainrule-shaders-');
  const dir = join(tmp, 'shaders');
  cpSync(shadersDir, dir, { recursive: true });
  /** Replaces the first line of `file` that contains `find` by `replace`; returns its line number. */
  const edit = (file: string, find: string, replace: string) => {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes(find));
    expect(i, `${file} has a line with ${find}`).toBeGreaterThanOrEqual(0);
    lines[i] = replace;
    writeFileSync(join(dir, file), lines.join('\n'));
    return i + 1;
  };
  return { tmp, dir, edit };
}

/** Shader files in a fresh directory: { 'x.wgsl': text, 'lib/y.wgsl': text }. */
function shaderTree(files: Record<string, string>) {
  const dir = join(tempDir('chainrule-wgsl-'), 'shaders');
  mkdirSync(join(dir, 'lib'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('shader sources', () => {
  it('what the tests run is a fresh build of shaders/ (nothing generated or cached to go stale)', () => {
    expect(shaderSources).toEqual(buildShaders());
  });

  it('tsx scripts get the same sources (tsconfig paths to src/cli/wgsl-sources.ts)', () => {
    const script = `import { shaderSources } from 'virtual:chainrule/shaders'; process.stdout.write(JSON.stringify(shaderSources));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual(buildShaders());
  });

  it('the vite plugin builds from the files as they are at build time', async () => {
    const { tmp, dir, edit } = copyOfShaders();
    edit('relu.wgsl', 'y[i] = relu_f(', '  y[i] = 42.0; // edited a moment ago');
    writeFileSync(join(tmp, 'entry.js'), `export { shaderSources } from 'virtual:chainrule/shaders';\n`);
    const out = await build({
      configFile: false,
      root: tmp,
      logLevel: 'silent',
      plugins: [wgslShaders(dir)],
      build: { write: false, minify: false, lib: { entry: join(tmp, 'entry.js'), formats: ['es'] } },
    });
    const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => ('output' in o ? o.output : []));
    expect(chunks.map((c) => ('code' in c ? c.code : '')).join('')).toContain('y[i] = 42.0; // edited a moment ago');
  });

  it('each module is its op file, then each library it needs once, and every line maps back to its file and line', () => {
    for (const [name, source] of Object.entries(shaderSources)) {
      const lines = source.code.split('\n');
      expect(source.map[0], name).toEqual({ file: `shaders/${name}.wgsl`, start: 1, line: 1, count: expect.any(Number) });
      const files = source.map.map((s) => s.file);
      expect(new Set(files).size, `${name}: ${files.join(', ')}`).toBe(files.length);
      let next = 1;
      for (const span of source.map) {
        expect(span.start, name).toBe(next);
        const own = readFileSync(join(root, span.file), 'utf8').split('\n');
        expect(lines.slice(span.start - 1, span.start - 1 + span.count), `${name}: ${span.file}`).toEqual(own.slice(span.line - 1, span.line - 1 + span.count));
        next += span.count;
      }
      expect(next - 1, name).toBe(lines.length - 1); // the code ends with a newline
    }
  });

  it('#import is transitive and de-duplicated, and the libraries import each other', () => {
    const dir = shaderTree({
      'op.wgsl': 'fn op() {}\n// #import a\n// #import c\n',
      'lib/a.wgsl': 'fn a() {}\n// #import b\n',
      'lib/b.wgsl': 'fn b() {}\n// #import c\n',
      'lib/c.wgsl': 'fn c() {}\n',
    });
    const { op } = buildShaders(dir, { root: join(dir, '..') });
    expect(op.map).toEqual([
      { file: 'shaders/op.wgsl', start: 1, line: 1, count: 3 },
      { file: 'shaders/lib/a.wgsl', start: 4, line: 1, count: 2 },
      { file: 'shaders/lib/b.wgsl', start: 6, line: 1, count: 2 },
      { file: 'shaders/lib/c.wgsl', start: 8, line: 1, count: 1 },
    ]);
    expect(op.code.match(/fn \w+\(\)/g)).toEqual(['fn op()', 'fn a()', 'fn b()', 'fn c()']);
    // In shaders/ itself: sum imports common, reduce and axes; axes imports reduce, which imports common.
    expect(shaderSources.sum.map.map((s) => s.file)).toEqual([
      'shaders/sum.wgsl',
      'shaders/lib/common.wgsl',
      'shaders/lib/reduce.wgsl',
      'shaders/lib/axes.wgsl',
    ]);
  });

  it('an import cycle, an unknown library and a malformed #import are errors naming the files and lines', () => {
    const cycle = shaderTree({
      'op.wgsl': 'fn op() {}\n// #import a\n',
      'lib/a.wgsl': 'fn a() {}\n// #import b\n',
      'lib/b.wgsl': 'fn b() {}\n\n// #import a\n',
    });
    expect(() => buildShaders(cycle, { root: join(cycle, '..') })).toThrow(WgslImportError);
    expect(() => buildShaders(cycle, { root: join(cycle, '..') })).toThrow(
      'shaders/lib/b.wgsl:3: import cycle: shaders/lib/a.wgsl -> shaders/lib/b.wgsl -> shaders/lib/a.wgsl',
    );
    const self = shaderTree({ 'op.wgsl': 'fn op() {}\n', 'lib/a.wgsl': '// #import a\n' });
    expect(() => buildShaders(self, { root: join(self, '..') })).toThrow('shaders/lib/a.wgsl:1: import cycle: shaders/lib/a.wgsl -> shaders/lib/a.wgsl');
    const unknown = shaderTree({ 'op.wgsl': 'fn op() {}\n// #import common\n// #import nope\n', 'lib/common.wgsl': '\n' });
    expect(() => buildShaders(unknown, { root: join(unknown, '..') })).toThrow('shaders/op.wgsl:3: #import nope: there is no shaders/lib/nope.wgsl');
    const malformed = shaderTree({ 'op.wgsl': 'fn op() {}\n//#import common\n', 'lib/common.wgsl': '\n' });
    expect(() => buildShaders(malformed, { root: join(malformed, '..') })).toThrow(/^shaders\/op\.wgsl:2: malformed import "\/\/#import common"/);
  });

  it('WG has one source, WORKGROUP in src/ops/params.ts: no shader file defines it, every module starts with it', () => {
    const defines = readdirSync(shadersDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.wgsl'))
      .filter((f) => /^\s*(const|override|alias)\s+WG\b/m.test(readFileSync(join(shadersDir, f), 'utf8')));
    expect(defines).toEqual([]);
    expect(withPrelude(shaderSources.relu).code).toMatch(new RegExp(`^const WG: u32 = ${WORKGROUP}u;`));
  });
});

describe('shader sources on WebGPU', () => {
  let device: GPUDevice;
  beforeAll(async () => {
    await cr.init({ device: 'webgpu' }); // fails, never skips, without an adapter
    device = (currentBackend() as unknown as { device: GPUDevice }).device;
  });
  afterAll(() => cr.dispose());

  /** The ShaderError that compiling op `name` of `sources` through Kernels throws (its device errors kept out of the shared state). */
  async function compileError(sources: ReturnType<typeof buildShaders>, name: string): Promise<Error> {
    const kernels = new Kernels(device, sources);
    device.pushErrorScope('validation');
    kernels.module(name);
    const scope = device.popErrorScope();
    const error = await kernels.check().then(
      () => new Error('compiled'),
      (e: Error) => e,
    );
    await scope;
    return error;
  }

  it('every module built from shaders/ compiles', async () => {
    const errors: Error[] = [];
    const pending: Promise<void>[] = [];
    for (const [name, source] of Object.entries(buildShaders())) compile(device, name, source.code, source.map, (e) => errors.push(e), pending);
    await Promise.all(pending);
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it('a broken kernel file fails with no manual step: a ShaderError naming the file, line and column, with the line', async () => {
    const { tmp, dir, edit } = copyOfShaders();
    const line = edit('relu.wgsl', 'y[i] = relu_f(', '  y[i] = select(x[i], 0.0, x[i] < not_a_value);');
    const error = await compileError(buildShaders(dir, { root: tmp }), 'relu');
    expect(error).toBeInstanceOf(cr.ShaderError);
    expect(error.message).toMatch(
      new RegExp(
        `^relu: WGSL does not compile:\\n  shaders/relu\\.wgsl:${line}:\\d+: .*not_a_value.*\\n    y\\[i\\] = select\\(x\\[i\\], 0\\.0, x\\[i\\] < not_a_value\\);`,
      ),
    );
  });

  it('a compile error in a library names shaders/lib/<name>.wgsl, its line and column, and the line', async () => {
    const { tmp, dir, edit } = copyOfShaders();
    const line = edit('lib/reduce.wgsl', 'at += (rest % d)', '    at += (rest % d) * not_a_stride;');
    const error = await compileError(buildShaders(dir, { root: tmp }), 'sum');
    expect(error).toBeInstanceOf(cr.ShaderError);
    expect(error.message).toMatch(
      new RegExp(`^sum: WGSL does not compile:\\n  shaders/lib/reduce\\.wgsl:${line}:\\d+: .*not_a_stride.*\\n    at \\+= \\(rest % d\\) \\* not_a_stride;`),
    );
  });
});
