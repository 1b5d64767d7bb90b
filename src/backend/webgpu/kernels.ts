import { ShaderError } from '../../errors.ts';
import { counters } from '../../stats.ts';
import { kernelBindings, type AnyOpSpec, type Binding } from '../../ops/spec.ts';
import { ComputeStage } from './gpu.ts';
import { shaderSources } from './shaders.gen.ts';

export interface Kernel {
  /** The entry point's name: <op>_fwd, <op>_vjp, <op>_step. */
  readonly id: string;
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
  #error: ShaderError | null = null;

  constructor(private readonly device: GPUDevice) {}

  /** The pipeline of an op's forward or VJP. */
  get(op: AnyOpSpec, kind: 'fwd' | 'vjp'): Kernel {
    return this.entry(op.name, `${op.name}_${kind}`, () => kernelBindings(op)[kind]);
  }

  /** The pipeline of entry point `key` of shaders/<name>.wgsl, with these bindings. */
  entry(name: string, key: string, bindingsOf: () => readonly Binding[]): Kernel {
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
        compute: { module: this.module(name), entryPoint: key },
      });
      kernel = { id: key, pipeline, layout, bindings };
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
      const source = shaderSources[name];
      if (!source) throw new ShaderError(`${name}: no shader file shaders/${name}.wgsl (run npm run shaders after adding one)`);
      module = compile(this.device, name, source.code, source.ownLines, (e) => (this.#error ??= e), this.#pending);
      this.#modules.set(name, module);
    }
    return module;
  }
}

/** Creates a module and reports its compile errors with file and line (lines past ownLines are from shaders/lib). */
export function compile(
  device: GPUDevice,
  name: string,
  code: string,
  ownLines: number,
  onError: (e: ShaderError) => void,
  pending: Promise<void>[],
): GPUShaderModule {
  const module = device.createShaderModule({ label: name, code });
  pending.push(
    module.getCompilationInfo().then((info) => {
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length === 0) return;
      const where = (line: number) => (line <= ownLines ? `shaders/${name}.wgsl:${line}` : `shaders/lib (imported by ${name}.wgsl), line ${line - ownLines}`);
      const lines = errors.map((m) => `  ${where(m.lineNum)}:${m.linePos}: ${m.message}\n    ${code.split('\n')[m.lineNum - 1]?.trim() ?? ''}`);
      onError(new ShaderError(`${name}: WGSL does not compile:\n${lines.join('\n')}`));
    }),
  );
  return module;
}
