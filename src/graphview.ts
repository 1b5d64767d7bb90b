/**
 * cr.graph(): the recorded computational graph as data, as the lecture draws it: each node's op,
 * shapes, dtype and the user's line, the edges, and summaries of each value (forward, green) and
 * its gradient (backward, red); toDot() for Graphviz, toMarkdown() for a terminal.
 */
import { fail } from './errors.ts';
import { gradientsOf } from './autograd.ts';
import { read, realize } from './executor.ts';
import { postOrder, type Value } from './graph.ts';
import { formatShape } from './shape.ts';
import { Tensor } from './tensor.ts';
import { VerifyError } from './verify.ts';

/** What the values of a tensor look like: NaN and infinities counted apart, the rest summarized. */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
  readonly nan: number;
  readonly inf: number;
}

/** One value of the graph: an op's output, or a leaf (data, a parameter, a constant). */
export interface GraphNode {
  readonly id: number;
  /** The op's name (matmul, relu), or 'input' / 'parameter' for a leaf (a parameter requires grad). */
  readonly op: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** "file:line:col" of the user's code that made it, when known. */
  readonly madeAt?: string;
  /** Ids of the nodes it reads, in the op's input order. */
  readonly inputs: readonly number[];
  readonly value?: Summary;
  /** d root / d this value, where it has one (float values on the path to the root). */
  readonly grad?: Summary;
  /** The values themselves and the gradient's, when asked for ({ values: true }). */
  readonly values?: readonly number[];
  readonly grads?: readonly number[];
  /** Why a value or gradient is missing (e.g. an optimizer step changed a parameter it reads). */
  readonly note?: string;
  /** The layer that made it, as Sequential names it ("0.Linear"); absent outside a model's forward. */
  readonly scope?: string;
}

export interface SvgOptions {
  /** Draw each layer (scope) as one box, except those in `expand`; default: when over 30 nodes. */
  collapse?: boolean;
  /** Layers drawn node by node even when collapsing ("0.Linear"). */
  expand?: readonly string[];
  /** A node to outline in red: its id, or a VerifyError (the node verify mode found diverging first). */
  highlight?: number | VerifyError;
}

export interface GraphEdge {
  readonly from: number;
  readonly to: number;
  /** Which input of `to` it is. */
  readonly input: number;
}

export interface GraphOptions {
  /** Read every value and gradient whole, not only their summaries (default false). */
  values?: boolean;
  /** Compute the gradient of the first root (a scalar) with respect to every node (default true). */
  gradients?: boolean;
}

/** The graph that computes `roots`, with what each node holds now. */
export class GraphData {
  readonly #ids: ReadonlyMap<Value, number>;

  constructor(
    readonly nodes: readonly GraphNode[],
    readonly edges: readonly GraphEdge[],
    ids: ReadonlyMap<Value, number> = new Map(),
  ) {
    this.#ids = ids;
  }

  /** The id of the node a VerifyError names (undefined if it is not in this graph). */
  nodeOf(error: VerifyError): number | undefined {
    return error.value ? this.#ids.get(error.value) : undefined;
  }

  /**
   * Graphviz source: left to right, as the lecture draws it, each edge labelled with its value's
   * mean in green above and its gradient's mean in red below.
   */
  toDot(): string {
    const lines = [
      'digraph chainrule {',
      '  rankdir=LR;',
      '  node [shape=box, fontname="Helvetica", fontsize=10];',
      '  edge [fontname="Helvetica", fontsize=9];',
    ];
    for (const n of this.nodes) {
      const label = [n.op, `${formatShape(n.shape)} ${n.dtype}`, ...(n.madeAt ? [n.madeAt.replace(/^.*\//, '')] : [])].join('\\n');
      const style = n.op === 'parameter' ? ', style=filled, fillcolor="#fff3cd"' : n.op === 'input' ? ', style=rounded' : '';
      lines.push(`  n${n.id} [label="${escape(label)}"${style}];`);
    }
    for (const e of this.edges) {
      const from = this.nodes[e.from];
      const parts = [
        ...(from.value ? [`<font color="darkgreen">${html(number(from.value.mean))}</font>`] : []),
        ...(from.grad ? [`<font color="red">${html(number(from.grad.mean))}</font>`] : []),
      ];
      lines.push(`  n${e.from} -> n${e.to}${parts.length > 0 ? ` [label=<${parts.join('<br/>')}>]` : ''};`);
    }
    lines.push('}');
    return lines.join('\n') + '\n';
  }

  /**
   * An SVG picture as the lecture draws the graph: left to right by depth, each edge labelled with
   * its value's mean in green above it and its gradient's mean in red below it. Boxes carry
   * data-node (a node's id) or data-scope (a collapsed layer's name), for pages to make clickable.
   */
  toSvg(options: SvgOptions = {}): string {
    const collapse = options.collapse ?? this.nodes.length > 30;
    const expand = new Set(options.expand ?? []);
    const layerOf = (n: GraphNode) => n.scope?.split('/')[0];
    // Boxes: a node, or a collapsed layer holding several.
    const boxOf = new Map<number, string>();
    const boxes = new Map<string, { label: string; sub: string; nodes: GraphNode[] }>();
    for (const n of this.nodes) {
      const layer = layerOf(n);
      const key = collapse && layer && !expand.has(layer) && n.op !== 'parameter' && n.op !== 'input' ? `scope:${layer}` : `node:${n.id}`;
      boxOf.set(n.id, key);
      const box = boxes.get(key) ?? { label: key.startsWith('scope:') ? layer! : n.op, sub: '', nodes: [] };
      box.nodes.push(n);
      box.sub = key.startsWith('scope:') ? `${box.nodes.length} ops, ${formatShape(n.shape)}` : formatShape(n.shape);
      boxes.set(key, box);
    }
    const links = new Map<string, GraphEdge>(); // one edge per pair of boxes, the last that joins them
    for (const e of this.edges) {
      const [a, b] = [boxOf.get(e.from)!, boxOf.get(e.to)!];
      if (a !== b) links.set(`${a}>${b}`, e);
    }
    // Columns by longest path from the sources.
    const depth = new Map<string, number>();
    const keys = [...boxes.keys()];
    for (const k of keys) depth.set(k, 0);
    for (let changed = true, guard = 0; changed && guard < keys.length + 1; guard++) {
      changed = false;
      for (const key of links.keys()) {
        const [a, b] = key.split('>');
        if (depth.get(b)! >= depth.get(a)! + 1) continue;
        depth.set(b, depth.get(a)! + 1);
        changed = true;
      }
    }
    const [W, H, GX, GY] = [150, 44, 90, 34];
    const rows = new Map<number, number>();
    const at = new Map<string, { x: number; y: number }>();
    for (const k of keys) {
      const col = depth.get(k)!;
      const row = rows.get(col) ?? 0;
      rows.set(col, row + 1);
      at.set(k, { x: 20 + col * (W + GX), y: 20 + row * (H + GY) });
    }
    const width = 40 + (Math.max(...depth.values()) + 1) * (W + GX);
    const height = 40 + Math.max(...rows.values()) * (H + GY);
    const out = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    ];
    for (const [key, e] of links) {
      const [a, b] = key.split('>').map((k) => at.get(k)!);
      const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
      const from = this.nodes[e.from];
      const [mx, my] = [(x1 + x2) / 2, (y1 + y2) / 2];
      out.push(`<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#555"/>`);
      if (from.value) out.push(`<text x="${mx}" y="${my - 5}" text-anchor="middle" fill="darkgreen" class="value">${xml(number(from.value.mean))}</text>`);
      if (from.grad) out.push(`<text x="${mx}" y="${my + 13}" text-anchor="middle" fill="red" class="grad">${xml(number(from.grad.mean))}</text>`);
    }
    for (const [key, box] of boxes) {
      const { x, y } = at.get(key)!;
      const data = key.startsWith('scope:') ? `data-scope="${xml(box.label)}"` : `data-node="${box.nodes[0].id}"`;
      const target = options.highlight instanceof VerifyError ? this.nodeOf(options.highlight) : options.highlight;
      const hit = target !== undefined && box.nodes.some((n) => n.id === target);
      const fill = box.nodes[0].op === 'parameter' ? '#fff3cd' : key.startsWith('scope:') ? '#e8f0fe' : '#fff';
      out.push(
        `<g ${data}><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6" fill="${fill}" stroke="${hit ? 'red' : '#333'}" stroke-width="${hit ? 3 : 1}"/>` +
          `<text x="${x + W / 2}" y="${y + 18}" text-anchor="middle" font-weight="bold">${xml(box.label)}</text>` +
          `<text x="${x + W / 2}" y="${y + 34}" text-anchor="middle" fill="#555">${xml(box.sub)}</text></g>`,
      );
    }
    out.push('</svg>');
    return out.join('\n') + '\n';
  }

  /** A Markdown table: one row per node, its value and gradient summarized. */
  toMarkdown(): string {
    const rows = ['| id | op | shape | inputs | value (mean ± std, [min, max]) | gradient | made at |', '|---|---|---|---|---|---|---|'];
    for (const n of this.nodes) {
      rows.push(
        `| ${n.id} | ${n.op} | ${formatShape(n.shape)} ${n.dtype} | ${n.inputs.join(', ')} | ${summaryText(n.value)} | ${summaryText(n.grad)} | ${n.madeAt ?? ''}${n.note ? ` (${n.note})` : ''} |`,
      );
    }
    return rows.join('\n') + '\n';
  }
}

/**
 * The recorded graph that computes `roots` (tensors made by ops), with a summary of each value and,
 * for a scalar first root, of d root / d value at every node: computed and read back in one plan.
 * Call it after backward() and before opt.step(): a step changes parameters in place, and values
 * freed since cannot be computed again at their old weights (such nodes say so in `note`).
 */
export async function graph(roots: Tensor | readonly Tensor[], options: GraphOptions = {}): Promise<GraphData> {
  const list = roots instanceof Tensor ? [roots] : roots;
  if (!Array.isArray(list) || list.length === 0 || !list.every((t) => t instanceof Tensor)) fail('graph', 'expects one or more Tensors');
  const order = collect(list.map((t) => t.value));
  const id = new Map(order.map((v, i) => [v, i]));
  const grads = options.gradients !== false && list[0].value.requiresGrad && list[0].size === 1 ? gradientsOf(list[0].value) : new Map<Value, Value>();
  const wanted = [...order, ...order.map((v) => grads.get(v)).filter((g): g is Value => !!g)];
  const notes = new Map<Value, string>();
  try {
    realize(wanted.filter((v) => !v.disposed && !v.failed)); // one plan
  } catch {
    // A node that cannot be computed (a parameter changed in place since): read what can be, one by one below.
  }
  const readOf = async (v: Value | undefined): Promise<Float64Array | undefined> => {
    if (!v || v.disposed) return undefined;
    try {
      return Float64Array.from(await read(v));
    } catch (e) {
      notes.set(v, (e as Error).message.split('\n')[0]);
      return undefined;
    }
  };
  const nodes: GraphNode[] = [];
  for (const v of order) {
    const [values, g] = await Promise.all([readOf(v), readOf(grads.get(v))]);
    const note = notes.get(v) ?? (grads.get(v) ? notes.get(grads.get(v)!) : undefined);
    nodes.push({
      id: id.get(v)!,
      op: v.node ? `${v.node.op.name}${v.node.kind === 'vjp' ? `' (input ${v.node.wrt})` : ''}` : v.requiresGrad ? 'parameter' : 'input',
      shape: [...v.shape],
      dtype: v.dtype,
      ...(v.origin ? { madeAt: v.origin } : {}),
      inputs: (v.node?.reads ?? []).map((r) => id.get(r)!),
      ...(values ? { value: summarize(values) } : {}),
      ...(g ? { grad: summarize(g) } : {}),
      ...(options.values && values ? { values: Array.from(values) } : {}),
      ...(options.values && g ? { grads: Array.from(g) } : {}),
      ...(note ? { note } : {}),
      ...(v.scope ? { scope: v.scope } : {}),
    });
  }
  const edges = order.flatMap((v) => (v.node?.reads ?? []).map((r, input) => ({ from: id.get(r)!, to: id.get(v)!, input })));
  return new GraphData(nodes, edges, id);
}

/** The values reachable from the roots through their nodes' reads, inputs before outputs (first inputs first). */
function collect(roots: readonly Value[]): Value[] {
  return postOrder(roots, (v) => [...(v.node?.reads ?? [])].reverse());
}

/** Count, min, max, mean and std of the finite values; NaN and infinities counted apart. */
export function summarize(values: ArrayLike<number>): Summary {
  let [n, nan, inf, sum, sq, min, max] = [0, 0, 0, 0, 0, Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (Number.isNaN(x)) nan++;
    else if (!Number.isFinite(x)) inf++;
    else {
      n++;
      sum += x;
      sq += x * x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
  }
  const mean = n > 0 ? sum / n : NaN;
  return {
    count: values.length,
    min: n > 0 ? min : NaN,
    max: n > 0 ? max : NaN,
    mean,
    std: n > 0 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : NaN,
    nan,
    inf,
  };
}

function summaryText(s: Summary | undefined): string {
  if (!s) return '';
  const bad = s.nan + s.inf > 0 ? `, ${s.nan} NaN, ${s.inf} inf` : '';
  return `${number(s.mean)} ± ${number(s.std)}, [${number(s.min)}, ${number(s.max)}]${bad}`;
}

const number = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));
const escape = (s: string) => s.replace(/\\(?!n)/g, '\\\\').replace(/"/g, '\\"');
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
