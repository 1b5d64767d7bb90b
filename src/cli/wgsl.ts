// The WGSL of every kernel, built from shaders/ each time a process imports `virtual:chainrule/shaders`:
// vite, vitest and the library build get it from the plugin in ./wgsl-vite.ts, tsx scripts from
// ./wgsl-sources.ts (tsconfig.json's `paths` maps the name there). Nothing generated is committed,
// so nothing can be stale.
//
// A module is shaders/<op>.wgsl followed by the libraries it imports: a line `// #import name` adds
// shaders/lib/name.wgsl. Libraries import each other the same way; imports are transitive, each
// library appears once per module, and a cycle is an error naming its files. Directive lines stay
// (as comments), so every file keeps its own line numbers, and `map` says where each line of the
// module comes from: compile errors name shaders/<op>.wgsl or shaders/lib/<name>.wgsl, line and column.
// WG is not defined here: kernels.ts puts `const WG: u32 = WORKGROUP` (src/ops/params.ts) first.
//
// npm run shaders [-- op]: checks that every file builds; with an op, prints its module, each line
// with the file and line it comes from.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WgslSource, WgslSpan } from '../backend/webgpu/kernels.ts';

/** What kernels.ts imports (its types: ./wgsl-sources.ts, through tsconfig.json's `paths`). */
export const SHADERS_ID = 'virtual:chainrule/shaders';

/** The repository root, and shaders/ in it. */
export const root = fileURLToPath(new URL('../..', import.meta.url));
export const shadersDir = join(root, 'shaders');

/** A shader file that cannot be assembled: an unknown or malformed #import, or an import cycle. */
export class WgslImportError extends Error {
  override name = 'WgslImportError';
}

export interface BuildOptions {
  /** Files are named relative to this directory (default: the repository root); outside it, by their full path. */
  readonly root?: string;
}

/** The .wgsl files a build of `dir` reads: the op files, then the libraries. */
export function wgslFiles(dir = shadersDir): string[] {
  const list = (d: string) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith('.wgsl'))
          .sort()
          .map((f) => join(d, f))
      : [];
  return [...list(dir), ...list(join(dir, 'lib'))];
}

/** Every op's module from `dir` (shaders/<op>.wgsl and its libraries), by op name. */
export function buildShaders(dir = shadersDir, options: BuildOptions = {}): Record<string, WgslSource> {
  dir = resolve(dir);
  const base = resolve(options.root ?? root);
  const name = (file: string) => {
    const rel = relative(base, file);
    return (rel.startsWith('..') || isAbsolute(rel) ? file : rel).split('\\').join('/');
  };
  const texts = new Map<string, string[]>();
  const linesOf = (file: string) => {
    let lines = texts.get(file);
    if (!lines) {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
      if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the final newline ends the last line
      texts.set(file, lines);
    }
    return lines;
  };

  /** The libraries `file` imports, in order, each with the line that imports it. */
  const importsOf = (file: string) =>
    linesOf(file).flatMap((text, i) => {
      if (!/^\s*\/\/\s*#import\b/.test(text)) return [];
      const m = /^\/\/ #import (\w+)\s*$/.exec(text);
      const at = `${name(file)}:${i + 1}`;
      if (!m) throw new WgslImportError(`${at}: malformed import ${JSON.stringify(text.trim())}; write "// #import name" on a line of its own`);
      const lib = join(dir, 'lib', `${m[1]}.wgsl`);
      if (!existsSync(lib)) throw new WgslImportError(`${at}: #import ${m[1]}: there is no ${name(lib)}`);
      return [{ lib, at }];
    });

  /** `file` and, depth first, every library it imports that the module does not hold yet. */
  const assemble = (file: string): WgslSource => {
    const lines: string[] = [];
    const map: WgslSpan[] = [];
    const held = new Set<string>([file]);
    const visit = (f: string, chain: string[]) => {
      const own = linesOf(f);
      map.push({ file: name(f), start: lines.length + 1, line: 1, count: own.length });
      lines.push(...own);
      for (const { lib, at } of importsOf(f)) {
        const loop = chain.indexOf(lib);
        if (loop >= 0) {
          const files = [...chain.slice(loop), lib].map(name).join(' -> ');
          throw new WgslImportError(`${at}: import cycle: ${files}`);
        }
        if (held.has(lib)) continue;
        held.add(lib);
        visit(lib, [...chain, lib]);
      }
    };
    visit(file, [file]);
    return { code: lines.join('\n') + '\n', map };
  };

  const files = wgslFiles(dir);
  const ops = files.filter((f) => resolve(f, '..') === dir);
  // Every library on its own too, so a cycle or bad import fails the build even where no op reaches it.
  for (const lib of files.filter((f) => !ops.includes(f))) assemble(lib);
  const out: Record<string, WgslSource> = {};
  for (const f of ops) out[f.slice(dir.length + 1, -'.wgsl'.length)] = assemble(f);
  return out;
}

/** The text of the virtual module: `export const shaderSources = { <op>: { code, map }, ... }`. */
export function shadersModule(sources: Record<string, WgslSource>): string {
  return `// Built from shaders/ by src/cli/wgsl.ts when imported: nothing here is stored.\nexport const shaderSources = ${JSON.stringify(sources)};\n`;
}

/** The module's lines, each prefixed with the file and line it comes from. */
export function annotate(source: WgslSource): string {
  const where = source.map.flatMap((s) => Array.from({ length: s.count }, (_, k) => `${s.file}:${s.line + k}`));
  const width = Math.max(...where.map((w) => w.length));
  return source.code
    .split('\n')
    .slice(0, where.length)
    .map((line, i) => `${where[i].padEnd(width)} | ${line}`)
    .join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wanted = process.argv.slice(2);
  try {
    const sources = buildShaders();
    for (const op of wanted) {
      if (!Object.hasOwn(sources, op)) throw new WgslImportError(`no shader file shaders/${op}.wgsl (ops: ${Object.keys(sources).join(', ')})`);
      console.log(`// shaders/${op}.wgsl as the GPU compiles it, after one first line: const WG: u32 = WORKGROUP (src/ops/params.ts)`);
      console.log(annotate(sources[op]));
    }
    if (wanted.length === 0) {
      const libs = new Set(Object.values(sources).flatMap((s) => s.map.slice(1).map((m) => m.file)));
      console.log(`shaders/: ${Object.keys(sources).length} modules, ${libs.size} libraries used, every import resolved (npm run shaders -- <op> prints one)`);
    }
  } catch (e) {
    if (!(e instanceof WgslImportError)) throw e;
    console.error(e.message);
    process.exitCode = 1;
  }
}
