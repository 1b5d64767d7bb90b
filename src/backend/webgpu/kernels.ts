/** Shader modules and pipelines, compiled once from the WGSL sources, with compile errors mapped to the .wgsl file and line. */
import { ShaderError } from '../../errors.ts';
import { counters } from '../../stats.ts';
import { WORKGROUP } from '../../ops/params.ts';
import { entryPoint, kernelBindings, type AnyOpSpec, type Binding } from '../../ops/spec.ts';
import { ComputeStage } from './gpu.ts';
import { shaderSources } from 'virtual:chainrule/shaders';
import type { Generated } from './fused.ts';

/** Lines start .. start + count - 1 of a module (from 1) are lines line .. line + count - 1 of `file`. */
export interface WgslSpan {
  readonly file: string;
  readonly start: number;
  readonly line: number;
  readonly count: number;
}

/**
 * One op's WGSL module, built from shaders/ by src/cli/wgsl.ts when `virtual:chainrule/shaders` is
 * imported (no generated file): shaders/<op>.wgsl, then each library it imports, once; `map` says
 * where every line comes from.
 */
export interface WgslSource {
  readonly code: string;
  readonly map: readonly WgslSpan[];
}

/** Line 1 of every module: the workgroup size the host shares with the kernels, from its one source. */
const PRELUDE = `const WG: u32 = ${WORKGROUP}u; // WORKGROUP: src/ops/params.ts`;

/** The code that compiles: the prelude, then the module, and the map shifted to match. */
export function withPrelude(source: WgslSource): WgslSource {
  return {
    code: `${PRELUDE}\n${source.code}`,
    map: [{ file: 'src/ops/params.ts (WORKGROUP, prepended)', start: 1, line: 1, count: 1 }, ...source.map.map((s) => ({ ...s, start: s.start + 1 }))],
  };
}

export interface Kernel {
  /** The entry point's name: <op>_fwd, <op>_vjp, <op>_step. */
  readonly id: string;
  /** The entry point and its pipeline constants: what tells this pipeline (and its layout) from another. */
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly bindings: readonly Binding[];
}

/**
 * Compiles each op's module once and each entry point's pipeline once, with an explicit bind group
 * layout built from the spec (never 'auto', which drops unused bindings and lets fwd and vjp drift).
 * Compile messages arrive asynchronously: they are collected and thrown by check().
 */
export class Kernels {
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #kernels = new Map<string, Kernel>();
  readonly #pending: Promise<void>[] = [];
  // Generated modules (fusion): their names by code, and their sources by name.
  readonly #generatedNames = new Map<string, string>();
  readonly #generated = new Map<string, { name: string; source: WgslSource }>();
  #error: ShaderError | null = null;

  /** `sources`: the modules by op name, by default those built from shaders/ (tests pass others). */
  constructor(
    private readonly device: GPUDevice,
    private readonly sources: Readonly<Record<string, WgslSource>> = shaderSources,
  ) {}

  /** The pipeline of an op's forward or VJP (in a variant, where it has some), specialized to `constants` (WGSL `override`s) if given. */
  get(op: AnyOpSpec, kind: 'fwd' | 'vjp', constants?: Readonly<Record<string, number>>, variant?: string): Kernel {
    return this.entry(op.name, entryPoint(op, kind, variant), () => kernelBindings(op)[kind], constants);
  }

  /**
   * The pipeline of a generated module (fusion.ts), compiled once per distinct code: its id, in
   * profiles and errors, is `fused:<ops>` (e.g. fused:matmul+add+relu).
   */
  generated(gen: Generated, constants?: Readonly<Record<string, number>>): Kernel {
    let name = this.#generatedNames.get(gen.source.code);
    if (name === undefined) {
      name = `fused:${gen.name}#${this.#generatedNames.size}`;
      this.#generatedNames.set(gen.source.code, name);
      this.#generated.set(name, { name: gen.name, source: gen.source });
    }
    return this.entry(name, gen.entry, () => gen.bindings, constants, `fused:${gen.name}`);
  }

  /** The generated modules compiled so far: each kernel's ops and its WGSL (cr.fusedKernels()). */
  generatedSources(): { readonly name: string; readonly source: WgslSource }[] {
    return [...this.#generated.values()];
  }

  /** The pipeline of entry point `id` of shaders/<name>.wgsl, with these bindings and pipeline constants. */
  entry(name: string, id: string, bindingsOf: () => readonly Binding[], constants?: Readonly<Record<string, number>>, label = id): Kernel {
    const key = `${name}|${id}${constants ? `|${Object.entries(constants).join(';')}` : ''}`;
    let kernel = this.#kernels.get(key);
    if (!kernel) {
      const bindings = bindingsOf();
      const layout = this.device.createBindGroupLayout({
        label: key,
        entries: bindings.map((b) => ({ binding: b.binding, visibility: ComputeStage, buffer: { type: b.type, hasDynamicOffset: b.dynamic ?? false } })),
      });
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module: this.module(name), entryPoint: id, ...(constants ? { constants: { ...constants } } : {}) },
      });
      kernel = { id: label, key, pipeline, layout, bindings };
      this.#kernels.set(key, kernel);
      counters.pipelines++;
    }
    return kernel;
  }

  /** Throws (once) the first compile error seen so far, after waiting for pending compile reports. */
  async check(): Promise<void> {
    await Promise.all(this.#pending.splice(0));
    const error = this.#error;
    this.#error = null;
    if (error) throw error;
  }

  module(name: string): GPUShaderModule {
    let module = this.#modules.get(name);
    if (!module) {
      const source = this.#generated.get(name)?.source ?? (Object.hasOwn(this.sources, name) ? this.sources[name] : undefined);
      if (!source) throw new ShaderError(`${name}: no shader file shaders/${name}.wgsl`);
      module = compile(this.device, name, source.code, source.map, (e) => (this.#error ??= e), this.#pending);
      this.#modules.set(name, module);
    }
    return module;
  }
}

/**
 * Creates a module from `code` with the prelude (WG) before it, and reports its compile errors with
 * the file, line and column they are at and that line's text. `lines` says where the lines of `code`
 * come from: a map (WgslSource.map), or a count of leading lines that are shaders/<name>.wgsl.
 */
export function compile(
  device: GPUDevice,
  name: string,
  code: string,
  lines: number | readonly WgslSpan[],
  onError: (e: ShaderError) => void,
  pending: Promise<void>[],
): GPUShaderModule {
  const map = typeof lines === 'number' ? [{ file: `shaders/${name}.wgsl`, start: 1, line: 1, count: lines }] : lines;
  const full = withPrelude({ code, map });
  const module = device.createShaderModule({ label: name, code: full.code });
  pending.push(
    module.getCompilationInfo().then((info) => {
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length === 0) return;
      const text = full.code.split('\n');
      const report = errors.map((m) => {
        if (m.lineNum < 1) return `  shaders/${name}.wgsl: ${m.message}`;
        const span = full.map.find((s) => m.lineNum >= s.start && m.lineNum < s.start + s.count);
        const where = span ? `${span.file}:${span.line + m.lineNum - span.start}` : `${name} (module line ${m.lineNum - 1})`;
        return `  ${where}:${m.linePos}: ${m.message}\n    ${text[m.lineNum - 1]?.trim() ?? ''}`;
      });
      onError(new ShaderError(`${name}: WGSL does not compile:\n${report.join('\n')}`));
    }),
  );
  return module;
}
