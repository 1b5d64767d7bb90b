// The lecture page (demo/lecture.html): the backprop lecture's worked examples built with chainrule,
// drawn with cr.graph().toSvg(), a backward pass to step through gate by gate, and every analytic
// gradient of an input beside its numerical one (central differences, re-running the forward).
import * as cr from 'chainrule';

/** An editable number: a differentiable input (a tensor with requiresGrad) or a setting (a label). */
interface Field {
  name: string;
  value: number;
  /** A setting, not a tensor: no gradient (the SVM's correct class). */
  label?: boolean;
}

interface Example {
  title: string;
  formula: string;
  fields: Field[];
  /** Builds f from one tensor per input (by name) and the settings; returns the scalar output. */
  build(t: Record<string, cr.Tensor>, settings: Record<string, number>): cr.Tensor;
  /** A line checking the staged graph against a library op, when there is one. */
  check?(values: Record<string, number>): Promise<string>;
}

const examples: Record<string, Example> = {
  'add-mul': {
    title: '(a) f = (x + y) z',
    formula: 'f(x, y, z) = (x + y) z: an add gate (gradient distributor) into a mul gate (gradient switcher).',
    fields: [
      { name: 'x', value: -2 },
      { name: 'y', value: 5 },
      { name: 'z', value: -4 },
    ],
    build: ({ x, y, z }) => x.add(y).mul(z),
  },
  sigmoid: {
    title: '(b) the sigmoid neuron',
    formula: 'f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), staged as the lecture draws it: mul, add, neg, exp, +1, reciprocal.',
    fields: [
      { name: 'w0', value: 2 },
      { name: 'x0', value: -1 },
      { name: 'w1', value: -3 },
      { name: 'x1', value: -2 },
      { name: 'w2', value: -3 },
    ],
    build: ({ w0, x0, w1, x1, w2 }) => cr.reciprocal(w0.mul(x0).add(w1.mul(x1)).add(w2).neg().exp().add(1)),
    check: async (v) => {
      const dot = v.w0 * v.x0 + v.w1 * v.x1 + v.w2;
      const f = await cr.sigmoid(cr.tensor(dot)).item();
      return `cr.sigmoid(w0 x0 + w1 x1 + w2) = ${fmt(f)}; the lecture's ddot = (1 - f) f = ${fmt((1 - f) * f)}.`;
    },
  },
  svm: {
    title: '(c) the SVM loss, staged',
    formula: 'L = Σ_{j ≠ y} max(0, s_j − s_y + 1) for one example with scores s0, s1, s2 and correct class y: sub, +1, relu (a max gate), add.',
    fields: [
      { name: 's0', value: 3.2 },
      { name: 's1', value: 5.1 },
      { name: 's2', value: -1.7 },
      { name: 'y', value: 0, label: true },
    ],
    build: (t, { y }) => {
      const s = [t.s0, t.s1, t.s2];
      const margins = s.flatMap((sj, j) => (j === y ? [] : [sj.sub(s[y]).add(1).relu()]));
      return margins.reduce((a, b) => a.add(b));
    },
    check: async (v) => {
      const scores = cr.tensor([[v.s0, v.s1, v.s2]]);
      const loss = await cr.svmLoss(scores, cr.tensor([v.y], { dtype: 'int32' })).item();
      return `cr.svmLoss(scores, [${v.y}]) = ${fmt(loss)} (the fused op, for comparison).`;
    },
  },
};

export interface LectureState {
  status: 'starting' | 'busy' | 'ready' | 'error';
  example: string;
  /** Nodes in the graph of f. */
  nodes: number;
  value: number | null;
  /** d f / d input, by input name: from chainrule's backward, and from central differences. */
  analytic: Record<string, number>;
  numerical: Record<string, number>;
  device: 'webgpu' | 'cpu' | null;
  /** The node highlighted by "Step backward", and its line; null before the first step. */
  step: { node: number; text: string } | null;
  error: string | null;
}

declare global {
  interface Window {
    __lecture: LectureState;
  }
}

const state: LectureState = {
  status: 'starting',
  example: 'add-mul',
  nodes: 0,
  value: null,
  analytic: {},
  numerical: {},
  device: null,
  step: null,
  error: null,
};
window.__lecture = state;

const H = 1e-3;
const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

let current: { graph: cr.GraphData; names: Map<number, string>; order: cr.GraphNode[]; index: number } | null = null;
let generation = 0; // a rebuild started later wins over one still running

function showError(e: unknown): void {
  const message = e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : String(e);
  console.error(e);
  state.error = message;
  state.status = 'error';
  $('#error').querySelector('.message')!.textContent = message;
  $('#error').hidden = false;
}

/** The example's fields as number inputs. */
function renderFields(example: Example): void {
  const form = $<HTMLFormElement>('#inputs');
  form.replaceChildren(
    ...example.fields.map((f) => {
      const label = document.createElement('label');
      label.textContent = f.label ? `${f.name} (correct class)` : f.name;
      const input = document.createElement('input');
      Object.assign(input, { name: f.name, type: 'number', value: String(f.value), step: f.label ? '1' : '0.1' });
      if (f.label) Object.assign(input, { min: '0', max: '2' });
      label.append(input);
      return label;
    }),
  );
  $('#formula').textContent = example.formula;
}

function readFields(example: Example): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of example.fields) {
    const raw = Number(($<HTMLFormElement>('#inputs').elements.namedItem(f.name) as HTMLInputElement).value);
    if (!Number.isFinite(raw)) throw new Error(`${f.name}: not a number`);
    out[f.name] = f.label ? Math.min(2, Math.max(0, Math.round(raw))) : raw;
  }
  return out;
}

/** f at the given values, without a graph to keep (for the numerical gradient). */
function forward(example: Example, values: Record<string, number>): Promise<number> {
  return cr
    .noGrad(() => {
      const t = Object.fromEntries(example.fields.filter((f) => !f.label).map((f) => [f.name, cr.tensor(values[f.name])]));
      return example.build(t, values);
    })
    .item();
}

async function rebuild(): Promise<void> {
  const mine = ++generation;
  state.status = 'busy';
  state.error = null;
  $('#error').hidden = true;
  const example = examples[state.example];
  const values = readFields(example);
  const inputs = example.fields.filter((f) => !f.label);
  const tensors = Object.fromEntries(inputs.map((f) => [f.name, cr.tensor(values[f.name], { requiresGrad: true })]));
  const f = example.build(tensors, values);
  const graph = await cr.graph(f, { values: true });
  // Central differences for each input, in the page's dtype (float32), with h = 1e-3.
  const numerical: Record<string, number> = {};
  for (const { name } of inputs) {
    const plus = await forward(example, { ...values, [name]: values[name] + H });
    const minus = await forward(example, { ...values, [name]: values[name] - H });
    numerical[name] = (plus - minus) / (2 * H);
  }
  const check = example.check ? await example.check(values) : '';
  if (mine !== generation) return;

  // d f / d input from backward(), by name; the graph's leaves are named by matching value and gradient.
  f.backward();
  const analytic: Record<string, number> = {};
  for (const { name } of inputs) analytic[name] = (await tensors[name].grad?.item()) ?? 0;
  const names = new Map<number, string>();
  const unnamed = [...inputs];
  for (const leaf of graph.nodes.filter((n) => n.op === 'parameter')) {
    const at = unnamed.findIndex((i) => Math.fround(values[i.name]) === leaf.values?.[0] && Math.fround(analytic[i.name]) === (leaf.grads?.[0] ?? 0));
    if (at >= 0) names.set(leaf.id, unnamed.splice(at, 1)[0].name);
  }
  if (mine !== generation) return;

  current = { graph, names, order: [...graph.nodes].reverse(), index: -1 };
  Object.assign(state, { nodes: graph.nodes.length, value: graph.nodes.at(-1)!.values?.[0] ?? null, analytic, numerical, step: null });
  renderGradients(inputs.map((i) => i.name));
  $('#check').textContent = check;
  $('#step-text').textContent = `f = ${fmt(state.value ?? NaN)}. Press “Step backward” to walk the gates in reverse topological order.`;
  $('#step').textContent = 'Step backward';
  renderGraph();
  state.status = 'ready';
}

function renderGraph(): void {
  if (!current) return;
  const highlight = current.index >= 0 ? current.order[current.index].id : undefined;
  let svg = current.graph.toSvg({ collapse: false, highlight });
  // Name the inputs' boxes (x, y, z rather than "parameter").
  for (const [id, name] of current.names) {
    svg = svg.replace(new RegExp(`(<g data-node="${id}">.*?font-weight="bold">)parameter(</text>)`), `$1${name}$2`);
  }
  $('#graph').innerHTML = svg;
}

function renderGradients(names: string[]): void {
  const rows = names.map((name) => {
    const [a, n] = [state.analytic[name], state.numerical[name]];
    const error = Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), 1e-3);
    const ok = Math.abs(a - n) < 1e-2;
    return `<tr data-input="${name}"><td>df/d${name}</td><td class="analytic">${fmt(a)}</td><td class="numerical">${fmt(n)}</td><td class="${ok ? 'ok' : 'bad'}">${error.toExponential(1)}</td></tr>`;
  });
  $('#grads').innerHTML = `<tr><th>input</th><th>analytic</th><th>numerical</th><th>relative error</th></tr>${rows.join('')}`;
}

/** d out / d input `wrt` of a gate, from its values, by the op's formula (null where unknown). */
function localGradient(node: cr.GraphNode, wrt: number, nodes: readonly cr.GraphNode[]): number | null {
  const x = node.inputs.map((i) => nodes[i].values?.[0] ?? NaN);
  const out = node.values?.[0] ?? NaN;
  switch (node.op) {
    case 'add':
      return 1;
    case 'sub':
      return wrt === 0 ? 1 : -1;
    case 'mul':
      return x[1 - wrt];
    case 'div':
      return wrt === 0 ? 1 / x[1] : -x[0] / (x[1] * x[1]);
    case 'neg':
      return -1;
    case 'exp':
      return out;
    case 'log':
      return 1 / x[0];
    case 'reciprocal':
      return -1 / (x[0] * x[0]);
    case 'sigmoid':
      return out * (1 - out);
    case 'tanh':
      return 1 - out * out;
    case 'relu':
      return x[0] > 0 ? 1 : 0;
    case 'square':
      return 2 * x[0];
    case 'maximum':
      return x[0] >= x[1] === (wrt === 0) ? 1 : 0;
    case 'minimum':
      return x[0] <= x[1] === (wrt === 0) ? 1 : 0;
    default: {
      // Any other gate: the gradient it passed down over its upstream one.
      const [down, up] = [nodes[node.inputs[wrt]].grads?.[0], node.grads?.[0]];
      return down !== undefined && up !== undefined && up !== 0 ? down / up : null;
    }
  }
}

/** One step of the backward pass: the next node in reverse topological order, explained. */
function step(): void {
  if (!current || state.status !== 'ready') return;
  current.index = (current.index + 1) % current.order.length;
  const node = current.order[current.index];
  const nodes = current.graph.nodes;
  const name = (id: number) => current!.names.get(id) ?? `${nodes[id].op}#${id}`;
  const upstream = node.grads?.[0];
  let text: string;
  if (node.inputs.length === 0) {
    const label = current.names.get(node.id);
    text = label
      ? `input ${label} = ${fmt(node.values?.[0] ?? NaN)}: df/d${label} = ${fmt(upstream ?? NaN)} (numerical ${fmt(state.numerical[label])})`
      : `constant ${fmt(node.values?.[0] ?? NaN)}: no gradient (it does not require one)`;
  } else {
    const lines = [`gate ${name(node.id)} = ${fmt(node.values?.[0] ?? NaN)}, upstream gradient df/d${name(node.id)} = ${fmt(upstream ?? NaN)}`];
    node.inputs.forEach((input, wrt) => {
      if (nodes[input].op === 'input') return lines.push(`  → ${name(input)}: a constant, no gradient`);
      const local = localGradient(node, wrt, nodes);
      lines.push(
        local === null
          ? `  → ${name(input)}: passes down ${fmt(nodes[input].grads?.[0] ?? NaN)}`
          : `  → ${name(input)}: local ${fmt(local)} × upstream ${fmt(upstream ?? NaN)} = ${fmt(local * (upstream ?? NaN))}`,
      );
    });
    text = lines.join('\n');
  }
  state.step = { node: node.id, text };
  $('#step-text').textContent = text;
  $('#step').textContent = current.index === current.order.length - 1 ? 'Step backward (restart)' : 'Step backward';
  renderGraph();
}

function reset(): void {
  if (!current) return;
  current.index = -1;
  state.step = null;
  $('#step-text').textContent = `f = ${fmt(state.value ?? NaN)}. Press “Step backward” to walk the gates in reverse topological order.`;
  $('#step').textContent = 'Step backward';
  renderGraph();
}

function chooseExample(name: string): void {
  state.example = name;
  renderFields(examples[name]);
  rebuild().catch(showError);
}

async function start(): Promise<void> {
  const info = await cr.init({ quiet: true });
  state.device = info.device;
  $('#adapter').textContent =
    info.device === 'webgpu'
      ? `Runs on WebGPU: ${info.description}${info.software ? ' (a software adapter)' : ''}`
      : `Runs on the CPU reference: ${info.description}${info.reason ? ` (${info.reason})` : ''}`;
  $('#adapter').dataset.device = info.device;
  chooseExample(($<HTMLSelectElement>('#example').value = state.example));
}

window.addEventListener('error', (e) => showError(e.error ?? e.message));
window.addEventListener('unhandledrejection', (e) => showError(e.reason));
$<HTMLSelectElement>('#example').addEventListener('change', (e) => chooseExample((e.target as HTMLSelectElement).value));
$('#inputs').addEventListener('change', () => rebuild().catch(showError));
$('#inputs').addEventListener('submit', (e) => e.preventDefault());
$('#step').addEventListener('click', step);
$('#reset').addEventListener('click', reset);
start().catch(showError);
