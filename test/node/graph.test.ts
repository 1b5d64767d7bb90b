import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as cr from 'chainrule';

// cr.graph(): the recorded graph as the lecture draws it (values forward, gradients backward), as
// data, Graphviz and Markdown, on both devices.

afterAll(() => cr.dispose());

const near = (a: number, b: number, tol = 1e-5) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(tol);

describe.each(['cpu', 'webgpu'] as const)('cr.graph on %s', (device) => {
  it("the lecture's (x + y) z at (-2, 5, -4): q = 3, f = -12; df/dx = df/dy = -4, df/dz = 3, df/dq = -4", async () => {
    await cr.init({ device, quiet: true });
    const [x, y, z] = [-2, 5, -4].map((v) => cr.tensor([v], [1], { requiresGrad: true }));
    const q = x.add(y);
    const f = q.mul(z);
    const g = await cr.graph(f, { values: true });
    expect(g.nodes.map((n) => n.op)).toEqual(['parameter', 'parameter', 'add', 'parameter', 'mul']);
    const [nx, ny, nq, nz, nf] = g.nodes;
    expect(nq.inputs).toEqual([nx.id, ny.id]);
    expect(nf.inputs).toEqual([nq.id, nz.id]);
    expect(nq.values).toEqual([3]);
    expect(nf.values).toEqual([-12]);
    expect([nx, ny, nq, nz, nf].map((n) => n.grads![0])).toEqual([-4, -4, -4, 3, 1]);
    expect(nf.madeAt).toMatch(/graph\.test\.ts:\d+:\d+$/);
    expect(g.edges).toEqual([
      { from: 0, to: 2, input: 0 },
      { from: 1, to: 2, input: 1 },
      { from: 2, to: 4, input: 0 },
      { from: 3, to: 4, input: 1 },
    ]);
    // The user's .grad is untouched: cr.graph is not backward().
    expect(x.grad).toBeNull();
  });

  it('the sigmoid neuron (w = [2, -3, -3], x = [-1, -2]): f = 0.73, dw = [-0.2, -0.39, 0.2], dx = [0.39, -0.59]', async () => {
    await cr.init({ device, quiet: true });
    const w = cr.tensor([2, -3, -3], [3], { requiresGrad: true });
    const x = cr.tensor([-1, -2, 1], [3], { requiresGrad: true }); // the bias's input is the constant 1
    const f = cr.sum(w.mul(x)).sigmoid();
    const g = await cr.graph(f);
    const byOp = (op: string) => g.nodes.find((n) => n.op === op)!;
    near(byOp('sigmoid').value!.mean, 0.7311, 1e-4);
    const [nw, nx] = g.nodes.filter((n) => n.op === 'parameter');
    const dw = (await cr.graph(f, { values: true })).nodes[nw.id].grads!;
    const dx = (await cr.graph(f, { values: true })).nodes[nx.id].grads!;
    [-0.2, -0.39, 0.2].forEach((v, i) => near(dw[i], v, 0.01));
    [0.39, -0.59].forEach((v, i) => near(dx[i], v, 0.01));
  });

  it('summarizes a training step before opt.step: NaN and infinities counted; toMarkdown has a row per node', async () => {
    await cr.init({ device, quiet: true });
    const model = new cr.nn.MLP([3, 4, 2], { seed: 1 });
    const x = cr.tensor([1, 2, NaN, 0, 1, -1], [2, 3]);
    const loss = cr.softmaxCrossEntropy(model.forward(x), cr.tensor(Int32Array.of(0, 1)));
    loss.backward();
    const g = await cr.graph(loss);
    const input = g.nodes.find((n) => n.op === 'input' && n.shape.join() === '2,3')!;
    expect(input.value).toMatchObject({ count: 6, nan: 1, inf: 0, min: -1, max: 2 });
    expect(g.nodes.find((n) => n.op === 'matmul')!.grad).toBeDefined();
    const md = g.toMarkdown().trim().split('\n');
    expect(md).toHaveLength(g.nodes.length + 2);
    expect(md[0]).toMatch(/^\| id \| op \| shape/);
  });
});

describe('toDot', () => {
  it('is Graphviz source: every edge between declared nodes, values in green and gradients in red; dot renders it where installed', async () => {
    await cr.init({ device: 'cpu' });
    const a = cr.tensor([1, 2], [2], { requiresGrad: true });
    const f = cr.sum(a.mul(a).relu());
    const dot = (await cr.graph(f)).toDot();
    expect(dot).toMatch(/^digraph chainrule \{\n {2}rankdir=LR;/);
    expect(dot.trim().endsWith('}')).toBe(true);
    const declared = new Set([...dot.matchAll(/^ {2}(n\d+) \[label=/gm)].map((m) => m[1]));
    const edges = [...dot.matchAll(/^ {2}(n\d+) -> (n\d+)/gm)];
    expect(edges.length).toBeGreaterThan(0);
    for (const [, from, to] of edges) expect(declared.has(from) && declared.has(to)).toBe(true);
    expect(dot).toContain('<font color="darkgreen">');
    expect(dot).toContain('<font color="red">');
    const which = spawnSync('sh', ['-c', 'command -v dot'], { encoding: 'utf8' });
    if (which.status === 0) {
      const svg = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
      expect(svg.status, svg.stderr).toBe(0);
      expect(svg.stdout).toContain('<svg');
    }
  });
});

describe('toSvg', () => {
  it("draws the lecture's picture: boxes left to right, values in green above the edges, gradients in red below; a model's layers collapse into one box each", async () => {
    await cr.init({ device: 'cpu' });
    const [x, y, z] = [-2, 5, -4].map((v) => cr.tensor([v], [1], { requiresGrad: true }));
    const svg = (await cr.graph(x.add(y).mul(z))).toSvg();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect([...svg.matchAll(/<g data-node="\d+">/g)]).toHaveLength(5);
    expect(svg).toContain('<text x="'); // labels
    expect([...svg.matchAll(/fill="darkgreen" class="value">([^<]+)</g)].map((m) => m[1]).sort()).toEqual(['-2', '-4', '3', '5']);
    expect([...svg.matchAll(/fill="red" class="grad">([^<]+)</g)].map((m) => m[1]).sort()).toEqual(['-4', '-4', '-4', '3']);
    // A model: each layer one box unless expanded; the highlighted node is outlined in red.
    const model = new cr.nn.MLP([4, 8, 3], { seed: 1 });
    const loss = cr.softmaxCrossEntropy(model.forward(cr.randn([2, 4], { seed: 2 })), cr.tensor(Int32Array.of(0, 2)));
    loss.backward();
    const g = await cr.graph(loss);
    expect(g.nodes.filter((n) => n.scope === '0.Linear').map((n) => n.op)).toEqual(['matmul', 'add']);
    const collapsed = g.toSvg({ collapse: true });
    expect(collapsed).toContain('data-scope="0.Linear"');
    expect(collapsed).toContain('data-scope="2.Linear"');
    const expanded = g.toSvg({ collapse: true, expand: ['0.Linear'], highlight: g.nodes.find((n) => n.op === 'matmul')!.id });
    expect(expanded).not.toContain('data-scope="0.Linear"');
    expect(expanded).toContain('stroke="red" stroke-width="3"');
  });
});
