// The training page's Graph panel: the model's graph (cr.graph of a loss on a fixed batch) drawn with
// toSvg, layers collapsed until clicked; a node clicked shows histograms of its value and gradient,
// and how their mean and std moved over the last reports (dead ReLUs, vanishing gradients).
import type * as cr from 'chainrule';

const BINS = 20;
const HISTORY = 20;

interface Entry {
  step: number;
  value?: cr.Summary;
  grad?: cr.Summary;
}

export interface GraphPanel {
  /** Shows the graph of the latest report (step: the global step it was taken at). */
  update(graph: cr.GraphData, step: number): void;
  /** Forgets the graph, the history and the selection (a new run). */
  clear(): void;
}

export function graphPanel(container: HTMLElement, detail: HTMLElement): GraphPanel {
  let graph: cr.GraphData | null = null;
  let selected: number | null = null;
  const expanded = new Set<string>();
  const history = new Map<number, Entry[]>();

  const render = () => {
    container.innerHTML = graph ? graph.toSvg({ collapse: true, expand: [...expanded], ...(selected !== null ? { highlight: selected } : {}) }) : '';
    renderDetail();
  };

  const renderDetail = () => {
    const node = graph && selected !== null ? graph.nodes[selected] : undefined;
    detail.hidden = !node;
    if (!node) return void detail.replaceChildren();
    const where = [node.scope, node.madeAt?.replace(/^.*\//, '')].filter(Boolean).join(', ');
    detail.innerHTML =
      `<h3>#${node.id} ${esc(node.op)} [${node.shape.join(', ')}]${where ? ` <small>${esc(where)}</small>` : ''}</h3>` +
      `<div id="histograms" class="histograms">` +
      histogram('value', node.values, '#16a34a') +
      histogram('gradient', node.grads, '#dc2626') +
      `</div><p class="trend">${esc(trend(history.get(node.id) ?? []))}</p>`;
  };

  container.addEventListener('click', (e) => {
    const box = (e.target as Element).closest('[data-node], [data-scope]');
    if (!box) return;
    const scope = box.getAttribute('data-scope');
    if (scope !== null) expanded.add(scope);
    else selected = Number(box.getAttribute('data-node'));
    render();
  });

  return {
    update(g, step) {
      graph = g;
      for (const n of g.nodes) {
        const list = history.get(n.id) ?? [];
        list.push({ step, value: n.value, grad: n.grad });
        if (list.length > HISTORY) list.shift();
        history.set(n.id, list);
      }
      render();
    },
    clear() {
      graph = null;
      selected = null;
      history.clear();
      render();
    },
  };
}

/** A 20-bin histogram of `values` as an SVG bar chart, with its mean, std and share of zeros. */
function histogram(title: string, values: readonly number[] | undefined, color: string): string {
  const [W, H] = [260, 90];
  if (!values || values.length === 0) return `<figure class="histogram"><figcaption>${title}: none</figcaption></figure>`;
  const finite = values.filter(Number.isFinite);
  let [lo, hi] = finite.length > 0 ? [Infinity, -Infinity] : [0, 0];
  for (const v of finite) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const counts = new Array<number>(BINS).fill(0);
  for (const v of finite) counts[hi > lo ? Math.min(BINS - 1, Math.floor(((v - lo) / (hi - lo)) * BINS)) : 0]++;
  const top = counts.reduce((a, b) => Math.max(a, b), 1);
  const bw = W / BINS;
  const bars = counts
    .map((c, i) => {
      const h = (c / top) * (H - 4);
      return `<rect x="${(i * bw + 1).toFixed(1)}" y="${(H - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${c}</title></rect>`;
    })
    .join('');
  const mean = finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length);
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finite.length));
  const zeros = values.filter((v) => v === 0).length / values.length;
  const bad = values.length - finite.length;
  return (
    `<figure class="histogram"><figcaption>${title}: ${values.length} numbers, mean ${num(mean)}, std ${num(std)}, ` +
    `${(100 * zeros).toFixed(0)}% zeros${bad ? `, ${bad} NaN/Inf` : ''}</figcaption>` +
    `<svg width="${W}" height="${H + 14}" viewBox="0 0 ${W} ${H + 14}" font-size="10" font-family="sans-serif">${bars}` +
    `<line x1="0" y1="${H}" x2="${W}" y2="${H}" stroke="#9ca3af"/>` +
    `<text x="0" y="${H + 12}">${num(lo)}</text><text x="${W}" y="${H + 12}" text-anchor="end">${num(hi)}</text></svg></figure>`
  );
}

/** One line: how the value's and the gradient's mean and std moved over the kept reports. */
function trend(entries: readonly Entry[]): string {
  if (entries.length < 2) return 'One report so far: the trend shows after the next.';
  const [a, b] = [entries[0], entries.at(-1)!];
  const move = (name: string, x?: cr.Summary, y?: cr.Summary) =>
    x && y ? `${name} mean ${num(x.mean)} → ${num(y.mean)}, std ${num(x.std)} → ${num(y.std)}` : `${name}: none`;
  return `Steps ${a.step} → ${b.step} (${entries.length} reports): ${move('value', a.value, b.value)}; ${move('gradient', a.grad, b.grad)}.`;
}

const num = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
