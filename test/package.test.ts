import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('package', () => {
  it('npm run build gives dist/ (ESM + .d.ts) that a consumer imports as "chainrule"', () => {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
    expect(existsSync(`${root}/dist/index.js`)).toBe(true);
    expect(existsSync(`${root}/dist/index.d.ts`)).toBe(true);
    const script = `
      import * as cr from 'chainrule';
      const w = cr.tensor([1, 2, 3], { requiresGrad: true });
      w.mul(w).sum().backward();
      let message = '';
      try { cr.matmul(cr.zeros([2, 3]), cr.zeros([4, 5])); } catch (e) { message = e.message; }
      console.log(JSON.stringify({ grad: Array.from(await w.grad.data()), ops: cr.registry.length, message }));`;
    const out = JSON.parse(execFileSync('node', ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    expect(out.grad).toEqual([2, 4, 6]);
    expect(out.ops).toBeGreaterThan(20);
    // The user's frame is found in the bundled build too (not one of chainrule's own frames).
    expect(out.message).toMatch(/^matmul: inner dimensions differ \(a \[2,3\] @ b \[4,5\]\)/);
    expect(out.message).not.toMatch(/dist\/index\.js/);
  });
});
