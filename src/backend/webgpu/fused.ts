/**
 * Generated WGSL: kernels that run several ops as one (fusion), written from the ops' own WGSL
 * functions (<op>_f, <op>_df, <op>_da, <op>_db; <update>_update) and, for an anchor, the anchor's
 * module with its emit() replaced. Pure string work: no device.
 */
import { trailingModulus } from '../../ops/elementwise.ts';
import { entryPoint, kernelBindings, kernelReads, type AnyOpSpec, type Binding, type Meta } from '../../ops/spec.ts';
import type { AnyUpdateSpec } from '../../ops/update.ts';
import { sizeOf, type Shape } from '../../shape.ts';
import type { FusedRef, FusedStep } from '../backend.ts';
import type { WgslSource, WgslSpan } from './kernels.ts';

/** A generated module: its code (with a map for compile errors), entry point and bindings, and the ops it runs. */
export interface Generated {
  /** A name for profiles and errors: the ops joined by '+', e.g. matmul+add+relu. */
  readonly name: string;
  readonly entry: string;
  readonly source: WgslSource;
  readonly bindings: readonly Binding[];
}

/** The structure of a fused kernel, without storages: what its code depends on. */
export interface FusedShape {
  readonly anchor?: { readonly op: AnyOpSpec; readonly kind: 'fwd' | 'vjp'; readonly variant?: string };
  /** Epilogue: the steps run as the anchor stores (emit); prologue: as it loads step `loads` (load). */
  readonly role?: 'epilogue' | 'prologue';
  readonly loads?: number;
  readonly anchorWritten: boolean;
  readonly shape: Shape;
  readonly inputs: readonly Meta[];
  readonly steps: readonly Pick<FusedStep, 'op' | 'kind' | 'wrt' | 'args' | 'lane'>[];
}

const COMMON = 'shaders/lib/common.wgsl';

/** The lines of `file` as some module of `sources` holds them (a library: common.wgsl). */
export function libraryCode(sources: Readonly<Record<string, WgslSource>>, file: string): string {
  for (const source of Object.values(sources)) {
    const span = source.map.find((s) => s.file === file);
    if (span) return linesOf(source, span).join('\n');
  }
  throw new Error(`fusion: no module holds ${file}`);
}

function linesOf(source: WgslSource, span: WgslSpan): string[] {
  return source.code.split('\n').slice(span.start - 1, span.start - 1 + span.count);
}

/**
 * The functions of shaders/<name>.wgsl that generated kernels call: every `fn <name>_...` that is
 * not an entry point, and `struct P` when asked (the updates' params). Each is copied whole, to
 * its closing brace.
 */
export function opFunctions(sources: Readonly<Record<string, WgslSource>>, name: string, withParams = false): string {
  const source = sources[name];
  if (!source) throw new Error(`fusion: no shader file shaders/${name}.wgsl`);
  const span = source.map.find((s) => s.file.endsWith(`shaders/${name}.wgsl`)) ?? source.map[0];
  const lines = linesOf(source, span);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (withParams && /^struct P\b/.test(lines[i])) out.push(lines[i]);
    if (!new RegExp(`^fn ${name}_\\w+\\(`).test(lines[i]) || /^@compute/.test(lines[i - 1] ?? '')) continue;
    let depth = 0;
    for (let j = i; j < lines.length; j++) {
      out.push(lines[j]);
      depth += (lines[j].match(/{/g) ?? []).length - (lines[j].match(/}/g) ?? []).length;
      if (depth === 0 && lines[j].includes('}')) {
        i = j;
        break;
      }
    }
  }
  if (out.length === 0) throw new Error(`fusion: shaders/${name}.wgsl states no function ${name}_*`);
  return out.join('\n');
}

/** The WGSL expression of one step's value, from the expressions of what it reads. */
function stepExpression(step: FusedShape['steps'][number], args: readonly string[]): string {
  const { op, kind, wrt } = step;
  if (kind === 'fwd') return `${op.name}_f(${args.join(', ')})`;
  // A VJP's args are the saved inputs, y if saved, and dy (kernelReads): the functions take all of them, 0.0 for the rest.
  const reads = kernelReads(op, 'vjp');
  const arg = (name: string) => {
    const k = reads.findIndex((r) => r.name === name);
    return k >= 0 ? args[k] : '0.0';
  };
  const dy = arg('dy');
  if (op.fusible === 'unary') return `${op.name}_df(${arg(op.inputs[0].name)}, ${arg('y')}, ${dy})`;
  return `${op.name}_${wrt === 0 ? 'da' : 'db'}(${arg(op.inputs[0].name)}, ${arg(op.inputs[1].name)}, ${dy})`;
}

/** Element i of an input of `meta`'s shape, broadcast to `shape` as a trailing block. */
function inputIndex(meta: Meta, shape: Shape): string {
  const m = trailingModulus(meta.shape, shape);
  return m >= sizeOf(shape) ? 'i' : `i % ${m}u`;
}

/**
 * The code of a fused kernel: bindings in0.. (inputs), out0.. (written steps) after the anchor's
 * own; the steps as `let` values of element i; each written step stored. With an anchor, this is
 * its module with emit() (epilogue) or load() (prologue) replaced; without, a kernel of one
 * invocation per element.
 */
export function generateFused(sources: Readonly<Record<string, WgslSource>>, f: FusedShape): Generated {
  const anchorName = f.anchor ? [`${f.anchor.op.name}${f.anchor.kind === 'vjp' ? "'" : ''}`] : [];
  const stepNames = f.steps.map((s) => `${s.op.name}${s.kind === 'vjp' ? "'" : ''}`);
  const names = f.role === 'prologue' ? [...stepNames, ...anchorName] : [...anchorName, ...stepNames];
  const name = names.join('+');
  const own = f.anchor ? kernelBindings(f.anchor.op)[f.anchor.kind] : [];
  const declared = f.anchor ? Object.values(kernelBindings(f.anchor.op)).flat() : []; // the module declares both kernels'
  let next = declared.reduce((n, b) => Math.max(n, b.binding + 1), 0);
  const bindings: Binding[] = [...own];
  const decl: string[] = [];
  f.inputs.forEach((_, k) => {
    bindings.push({ name: `in${k}`, binding: next, type: 'read-only-storage' });
    decl.push(`@group(0) @binding(${next++}) var<storage, read> in${k}: array<f32>;`);
  });
  f.steps.forEach((s, k) => {
    if (s.lane === undefined) return;
    bindings.push({ name: `out${k}`, binding: next, type: 'storage' });
    decl.push(`@group(0) @binding(${next++}) var<storage, read_write> out${k}: array<f32>;`);
  });
  const body: string[] = [];
  const used = new Set<number>();
  const ref = (r: FusedRef): string => {
    if ('anchor' in r) return 'acc';
    if ('step' in r) return `v${r.step}`;
    used.add(r.input);
    return `x${r.input}`;
  };
  const steps = f.steps.map((s, k) => {
    const lines = [`  let v${k} = ${stepExpression(s, s.args.map(ref))};`];
    if (s.lane !== undefined) lines.push(`  out${k}[i] = v${k};`);
    return lines.join('\n');
  });
  for (const k of [...used].sort((a, b) => a - b)) body.push(`  let x${k} = in${k}[${inputIndex(f.inputs[k], f.shape)}];`);
  body.push(...steps);
  const functions = [...new Set(f.steps.map((s) => s.op.name))].map((op) => opFunctions(sources, op));
  const header = `// generated by src/backend/webgpu/fused.ts: ${name}`;
  if (f.anchor) {
    const base = sources[f.anchor.op.name];
    const prologue = f.role === 'prologue';
    const fn = prologue ? 'fn load(' : 'fn emit(';
    const at = base.code.indexOf(fn);
    const end = base.code.indexOf('\n}', at) + 2;
    if (at < 0) throw new Error(`fusion: shaders/${f.anchor.op.name}.wgsl has no ${fn.slice(3, -1)}()`);
    const replaced = prologue
      ? [
          '// The prologue: element k of the reduced value, from the fused steps.',
          'fn load(k: u32) -> f32 {',
          '  let i = k;',
          ...body,
          `  return v${f.loads};`,
          '}',
        ]
      : [
          '// The epilogue: element i of the anchor, then the fused steps, stored where read later.',
          'fn emit(O: ptr<storage, array<f32>, read_write>, i: u32, acc: f32) {',
          ...(f.anchorWritten ? ['  (*O)[i] = acc;'] : []),
          ...body,
          '}',
        ];
    const code = [header, ...decl, base.code.slice(0, at) + replaced.join('\n') + base.code.slice(end), ...functions].join('\n');
    return { name, entry: entryPoint(f.anchor.op, f.anchor.kind, f.anchor.variant), source: generatedSource(code, name), bindings };
  }
  const n = sizeOf(f.shape);
  const code = [
    header,
    ...decl,
    '@compute @workgroup_size(WG)',
    'fn fused(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    '  let i = invocation(gid, nwg);',
    `  if (i >= ${n}u) { return; }`,
    ...body,
    '}',
    ...functions,
    libraryCode(sources, COMMON),
  ].join('\n');
  return { name, entry: 'fused', source: generatedSource(code, name), bindings };
}

/**
 * A kernel that updates several parameters in one dispatch: parameter j owns invocations
 * [T_0 + ... + T_{j-1}, + T_j), T_j = ceil(n_j / span), each stepping elements t, t + T_j, ...
 * through <update>_update. Bindings per parameter: p{j} (its params), grad{j}, param{j}, and its
 * state buffers unless it is `stateless` (SGD without momentum: its states are empty, and read as 0).
 */
export function generateUpdates(
  sources: Readonly<Record<string, WgslSource>>,
  spec: AnyUpdateSpec,
  sizes: readonly number[],
  stateless: readonly boolean[],
  span: number,
): Generated {
  const bindings: Binding[] = [];
  const decl: string[] = [];
  const body: string[] = [];
  let start = 0;
  sizes.forEach((n, j) => {
    const names = [`p${j}`, `grad${j}`, `param${j}`, ...(stateless[j] ? [] : spec.state.map((s) => `${s}${j}`))];
    names.forEach((name, k) => {
      const type = k === 0 ? 'uniform' : k === 1 ? 'read-only-storage' : 'storage';
      const binding = bindings.length;
      bindings.push({ name, binding, type });
      decl.push(
        `@group(0) @binding(${binding}) var<${type === 'uniform' ? 'uniform' : type === 'storage' ? 'storage, read_write' : 'storage, read'}> ${name}: ${k === 0 ? 'P' : 'array<f32>'};`,
      );
    });
    const threads = Math.ceil(n / span);
    const states = names.slice(3);
    const lanes = ['x', 'y', 'z', 'w'];
    body.push(
      `  if (t < ${start + threads}u) {`,
      `    let q = p${j};`,
      `    for (var i = t - ${start}u; i < ${n}u; i += ${threads}u) {`,
      ...states.map((s, k) => `      var s${k} = 0.0;\n      if (i < arrayLength(&${s})) { s${k} = ${s}[i]; }`),
      `      let r = ${spec.name}_update(param${j}[i], grad${j}[i]${spec.state.map((_, k) => (stateless[j] ? ', 0.0' : `, s${k}`)).join('')}, q);`,
      ...states.map((s, k) => `      if (i < arrayLength(&${s})) { ${s}[i] = r.${lanes[k + 1]}; }`),
      `      param${j}[i] = r${spec.state.length > 0 ? '.x' : ''};`,
      '    }',
      '    return;',
      '  }',
    );
    start += threads;
  });
  const name = `${spec.name}x${sizes.length}`;
  const code = [
    `// generated by src/backend/webgpu/fused.ts: ${spec.name} of ${sizes.length} parameters in one dispatch`,
    opFunctions(sources, spec.name, true),
    ...decl,
    '@compute @workgroup_size(WG)',
    'fn steps(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {',
    '  let t = invocation(gid, nwg);',
    ...body,
    '}',
    libraryCode(sources, COMMON),
  ].join('\n');
  return { name, entry: 'steps', source: generatedSource(code, name), bindings };
}

/** A generated module's source, its lines mapped to one name (compile errors say which kernel). */
function generatedSource(code: string, name: string): WgslSource {
  return { code, map: [{ file: `generated kernel ${name}`, start: 1, line: 1, count: code.split('\n').length }] };
}
