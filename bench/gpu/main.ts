/**
 * The runner inside the self-extracting GPU benchmark (bench/gpu/pack.ts bundles it to app/main.mjs;
 * the archive's header.sh starts it with the Node it carries): checks that Dawn loads on this system,
 * names the adapter and stops on a software one, runs bench/step.ts and bench/matmul.ts as child
 * processes (each from its own bundle, exactly as `npm run bench:step` and `bench:matmul` run), then
 * prints Markdown tables and writes every number as JSON.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loaderError } from '../../src/platform/vulkan.ts';

const USAGE = `usage: sh chainrule-gpu-bench.sh [--quick] [--allow-software] [--bundled-loader] [--out FILE]
  --quick           fewer steps and sizes (a test of the script, not a measurement)
  --allow-software  run on a software adapter (SwiftShader, lavapipe) instead of stopping
  --bundled-loader  use the Vulkan loader in the archive even where the system has one
  --out FILE        the JSON results (default: ./chainrule-gpu-bench-<date>.json)`;

const app = dirname(fileURLToPath(import.meta.url)); // <extracted>/app: the bundles
const root = dirname(app); // <extracted>: node, node_modules/webgpu, lib/, build.json

interface Flags {
  quick: boolean;
  allowSoftware: boolean;
  bundledLoader: boolean;
  out: string;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { quick: false, allowSoftware: false, bundledLoader: false, out: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') flags.quick = true;
    else if (a === '--allow-software') flags.allowSoftware = true;
    else if (a === '--bundled-loader') flags.bundledLoader = true;
    else if (a === '--out' && i + 1 < argv.length) flags.out = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`chainrule-gpu-bench: unknown argument ${a}\n${USAGE}`);
      process.exit(2);
    }
  }
  const date = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  flags.out = resolve(flags.out || `chainrule-gpu-bench-${date}.json`);
  return flags;
}

class Failure extends Error {}

/** The environment of the children: the Vulkan loader in the archive where the system has none (or when asked). */
function childEnv(flags: Flags): { env: NodeJS.ProcessEnv; loader: string } {
  const missing = loaderError();
  if (!flags.bundledLoader && missing === undefined) return { env: process.env, loader: 'system' };
  // LD_LIBRARY_PATH is read when a process starts: it reaches the children, not this process.
  const env = { ...process.env, LD_LIBRARY_PATH: [join(root, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  const why = missing === undefined ? '--bundled-loader' : `the system has none: ${missing}`;
  console.log(`Vulkan loader: the archive's (${why})`);
  return { env, loader: 'bundled' };
}

/** Fails with what to do when dawn.node cannot load here (glibc or libstdc++ too old): cheaper to say now than from Dawn. */
function checkDawnLoads(env: NodeJS.ProcessEnv): void {
  const dawn = join(root, 'node_modules/webgpu/dist/linux-x64/dawn.node');
  const probe = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(dawn)})`], { env, encoding: 'utf8' });
  if (probe.status === 0) return;
  const error = /Error: (.*)/.exec(probe.stderr)?.[1] ?? probe.stderr.trim();
  throw new Failure(
    `Dawn (the webgpu package's dawn.node) does not load here: ${error}\n` +
      `  It needs glibc >= 2.34 and libstdc++ of GCC 12 or newer (GLIBCXX_3.4.30), as in Ubuntu 22.04, Debian 12, ` +
      `Fedora 36 and later; this system has glibc ${host().glibc}.`,
  );
}

interface Adapter {
  device: string;
  vendor: string;
  architecture: string;
  description: string;
  software: boolean;
  driverSets: string[];
  libraries: string[];
  limits: Record<string, number>;
}

/** One child process: one of the bundled scripts, its stdout kept (stderr passed on), its last line parsed as JSON. */
function runChild<T>(name: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): Promise<T> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--enable-source-maps', join(app, `${name}.mjs`), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) return done(JSON.parse(last) as T);
      const how = signal === 'SIGKILL' ? `took over ${timeoutS} s and was stopped` : `failed (exit code ${code ?? signal})`;
      fail(new Failure(`${name} ${how}${stdout.trim() ? `; it printed:\n${stdout.trim()}` : ''}`));
    });
  });
}

/** What the numbers ran on besides the GPU. */
function host() {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return {
    os: /^PRETTY_NAME="?([^"\n]*)/m.exec(read('/etc/os-release'))?.[1] ?? 'unknown',
    kernel: release(),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    glibc: report.header?.glibcVersionRuntime ?? 'unknown',
    // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15 ..." or "... Open Kernel Module for x86_64  570.86.15 ..."
    nvidiaDriver: /Kernel Module.*?\s(\d+(?:\.\d+)+)(?:\s|$)/.exec(read('/proc/driver/nvidia/version'))?.[1] ?? '',
    node: process.version,
  };
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const build = JSON.parse(readFileSync(join(root, 'build.json'), 'utf8')) as Record<string, string>;
  console.log(`chainrule GPU benchmark (chainrule ${build.commit}, packed ${build.packedAt}; Node ${process.version}, webgpu ${build.webgpu})`);
  const { env, loader } = childEnv(flags);
  checkDawnLoads(env);

  const adapter = await runChild<Adapter>('adapter', [], env, 60);
  const software = adapter.device !== 'webgpu' || adapter.software || /swiftshader|llvmpipe|lavapipe|software/i.test(adapter.description);
  console.log(`adapter: vendor "${adapter.vendor}", architecture "${adapter.architecture}", ${adapter.description}${software ? ' (SOFTWARE)' : ''}`);
  console.log(`Vulkan: ${adapter.libraries.join(', ') || 'no library found'} (drivers tried, best first: ${adapter.driverSets.join('; ')})`);
  if (software && !flags.allowSoftware) {
    throw new Failure(
      `no GPU: the adapter is a software fallback (${adapter.description}): its numbers would measure the CPU. Check the GPU's Vulkan driver: ` +
        `an ICD manifest such as /usr/share/vulkan/icd.d/nvidia_icd.json or /etc/vulkan/icd.d/nvidia_icd.json, and /dev/nvidia* ` +
        `(VK_ICD_FILENAMES=<manifest> picks one). --allow-software runs anyway.`,
    );
  }

  // A GPU does 2048 in milliseconds; a software adapter would take minutes.
  const sizes = flags.quick ? '256,512' : software ? '256,512,1024' : '256,512,1024,2048';
  const repeats = flags.quick ? 3 : software ? 5 : 10;
  const steps = flags.quick ? 5 : 20;
  const stepArgs = ['--batch', '128', '--steps', String(steps)];
  console.log(`step: MLP 784-256-10, SGD, batch 128, ${steps} timed steps ...`);
  let t0 = performance.now();
  const step = await runChild<Record<string, number>>('step', stepArgs, env, 240);
  console.log(`step: done in ${seconds(t0)}\nmatmul: sizes ${sizes}, median of ${repeats} ...`);
  t0 = performance.now();
  const matmul = await runChild<{ rows: { size: number; ms: number; gflops: number }[] }>('matmul', ['--sizes', sizes, '--repeats', String(repeats)], env, 240);
  console.log(`matmul: done in ${seconds(t0)}\n`);

  const h = host();
  const results = {
    tool: 'chainrule-gpu-bench',
    date: new Date().toISOString(),
    quick: flags.quick,
    build,
    host: h,
    vulkanLoader: loader,
    adapter,
    step,
    matmul,
  };
  writeFileSync(flags.out, JSON.stringify(results, null, 2) + '\n');

  const nvidia = h.nvidiaDriver ? `, NVIDIA driver ${h.nvidiaDriver}` : '';
  console.log(`## chainrule on ${adapter.description}${software ? ' (software)' : ''}\n`);
  console.log(`| | |\n|---|---|`);
  console.log(`| adapter | vendor ${adapter.vendor}, architecture ${adapter.architecture}: ${adapter.description} |`);
  console.log(`| Vulkan | ${adapter.libraries.join(', ')} (loader: ${loader}) |`);
  console.log(`| host | ${h.os}, Linux ${h.kernel}, glibc ${h.glibc}, ${h.cpu}${nvidia} |`);
  console.log(`| software | chainrule ${build.commit} (packed ${build.packedAt}), Node ${h.node}, webgpu ${build.webgpu} |\n`);
  console.log(
    `### MLP 784-256-10 SGD step, batch 128 (${step.warmup} warm-up, ${step.steps} timed, each to the GPU's completion; record: building the graph, run: one submit and the wait)\n`,
  );
  console.log('| median ms/step | min ms/step | record median ms | run median ms | dispatches/step | submits/step | final loss |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${step.medianMs} | ${step.minMs} | ${step.fwdBwdMedianMs} | ${step.updateMedianMs} | ${step.dispatchesPerStep} | ${step.submitsPerStep} | ${step.finalLoss} |\n`,
  );
  console.log(`### matmul, square float32 (median of ${repeats} after a warm-up, each to the GPU's completion)\n`);
  console.log('| size | median ms | GFLOP/s |\n|---|---|---|');
  for (const r of matmul.rows) console.log(`| ${r.size} | ${r.ms} | ${r.gflops} |`);
  console.log(`\nresults: ${flags.out}`);
}

main().catch((e: unknown) => {
  console.error(`chainrule-gpu-bench: ${e instanceof Failure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exit(1);
});
