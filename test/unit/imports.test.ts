// The layers of ../shared/DESIGN.md hold in the code: value imports in src/ point one way (down).
// Type-only imports may point anywhere: they vanish at run time and cannot make an init-order bug.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../src', import.meta.url));

/** Every .ts file under src/, as a path relative to src/. */
function files(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [relative(src, join(dir, e.name))] : [],
  );
}

/** The modules a file imports for their values (not `import type`, not `{ type X }` alone), inside src/. */
export function valueImports(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8');
  const found: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(statement)) {
    const target = m[4] ?? m[5];
    if (m[2]) continue; // import type / export type
    const names = m[3] ?? '';
    const braces = /^\{([^}]*)\}$/.exec(names.trim());
    if (braces && braces[1].split(',').every((n) => !n.trim() || /^type\s/.test(n.trim()))) continue; // only type specifiers
    found.push(relative(src, resolve(dirname(join(src, file)), target)));
  }
  return found;
}

/** Strongly connected components of more than one module (Tarjan), i.e. the import cycles. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('the layers of src/', () => {
  const graph = new Map(files().map((f) => [f, valueImports(f)]));

  it('has no cycle of value imports', () => {
    expect(cycles(graph)).toEqual([]);
  });
});

/** The layers, bottom up (../shared/DESIGN.md): a module may import the values of its own layer and those below. */
const layers: [number, RegExp][] = [
  [0, /^(errors|dtype|shape|random|stats|grad-mode)\.ts$|^platform\//],
  [1, /^ops\//],
  [2, /^backend\//],
  [3, /^(device|graph)\.ts$/],
  [4, /^(verify|values|fusion)\.ts$/],
  [5, /^executor\.ts$/],
  [6, /^autograd\.ts$/],
  [7, /^tensor\.ts$/],
  [8, /^(memory|gradcheck|profile|graphview)\.ts$|^(nn|optim|data|io)\//],
  [9, /^(index|node)\.ts$|^cli\//],
];

function layerOf(file: string): number {
  const found = layers.find(([, pattern]) => pattern.test(file));
  if (!found) throw new Error(`${file} is in no layer: add it to test/imports.test.ts`);
  return found[0];
}

/** Every module a file imports, values and types alike. */
function allImports(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s*['"](\.[^'"]+)['"]/gm)].map((m) => relative(src, resolve(dirname(join(src, file)), m[1])));
}

describe('the layers, bottom up', () => {
  it('value imports never point to a higher layer', () => {
    const up = files().flatMap((f) =>
      valueImports(f)
        .filter((to) => layerOf(to) > layerOf(f))
        .map((to) => `${f} -> ${to}`),
    );
    expect(up).toEqual([]);
  });

  it('backend/ knows nothing of graphs, tensors or the executor, not even their types', () => {
    const known = files()
      .filter((f) => f.startsWith('backend/'))
      .flatMap((f) =>
        allImports(f)
          .filter((to) => layerOf(to) > 2 || to.startsWith('platform/'))
          .map((to) => `${f} -> ${to}`),
      );
    expect(known).toEqual([]);
  });
});
