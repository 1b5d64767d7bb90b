// The GPU benchmark in one file (bench/gpu/pack.ts): packed by `npm run bench:gpu:pack` under 64 MiB,
// then run as on a GPU machine without Node: a bare environment whose PATH holds only the tools its
// header needs, so nothing can fall back on this machine's node or npm. Here the adapter is SwiftShader.
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOOLS = ['sh', 'tail', 'gzip', 'tar', 'mktemp', 'rm']; // what header.sh calls

let work: string;
let file: string;
let bin: string;
let scratch: string; // the runner's TMPDIR: it extracts there and must leave nothing behind

/** Runs a command to its end; its exit code and output, never a throw (the assertions say what went wrong). */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(cmd, args, { maxBuffer: 1 << 24, ...options }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The packed file, run with nothing but `bin` on PATH (env -i: no variable of this shell reaches it). */
function runBundle(args: string[]) {
  return run('/usr/bin/env', ['-i', `PATH=${bin}`, `HOME=${work}`, `TMPDIR=${scratch}`, join(bin, 'sh'), file, ...args], { cwd: work, timeout: 120_000 });
}

/** The runner's line naming the Vulkan libraries Dawn mapped (loader and driver, in no fixed order). */
const vulkanLine = (stdout: string) => /^Vulkan: .*$/m.exec(stdout)?.[0] ?? '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'chainrule-gpu-bundle-'));
  file = join(work, 'chainrule-gpu-bench.sh');
  bin = join(work, 'bin');
  scratch = join(work, 'tmp');
  await mkdir(bin);
  await mkdir(scratch);
  for (const tool of TOOLS) await symlink(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const packed = await run('npm', ['run', 'bench:gpu:pack', '--', '--out', file], { cwd: root, timeout: 300_000 });
  expect(packed.code, packed.stdout + packed.stderr).toBe(0);
  console.log(packed.stdout.trim().split('\n').pop());
}, 320_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the self-extracting GPU benchmark', () => {
  it('is one executable shell script under 64 MiB', async () => {
    const { size, mode } = await stat(file);
    expect(size).toBeLessThan(64 * 2 ** 20);
    expect(size).toBeGreaterThan(20 * 2 ** 20); // it does carry Node and Dawn
    expect(mode & 0o111).toBeTruthy();
    expect((await readFile(file)).subarray(0, 10).toString()).toBe('#!/bin/sh\n');
  });

  it('finds no node, npm or npx on the PATH it is run with', async () => {
    for (const tool of ['node', 'npm', 'npx', 'chromium']) {
      const found = await run('/usr/bin/env', ['-i', `PATH=${bin}`, join(bin, 'sh'), '-c', `command -v ${tool}`]);
      expect(found.code, `${tool}: ${found.stdout}`).not.toBe(0);
    }
  });

  it('runs the step and matmul benchmarks: adapter line, Markdown tables, a JSON file, nothing left in TMPDIR', async () => {
    const out = join(work, 'results.json');
    const { code, stdout, stderr } = await runBundle(['--allow-software', '--quick', '--out', out]);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^adapter: vendor "google", architecture "swiftshader", .*\(SOFTWARE\)$/m);
    expect(vulkanLine(stdout)).toMatch(/\/libvk_swiftshader\.so\b/);
    expect(vulkanLine(stdout)).toMatch(/ \/usr\/lib\/\S+\/libvulkan\.so\.1/);
    expect(stdout).toMatch(/^\| median ms\/step \|/m);
    expect(stdout).toMatch(/^\| 512 \| [\d.]+ \| [\d.]+ \|$/m);
    expect(stdout).toContain(`results: ${out}`);

    const results = JSON.parse(await readFile(out, 'utf8'));
    expect(results.adapter).toMatchObject({ device: 'webgpu', vendor: 'google', architecture: 'swiftshader', software: true });
    expect(results.build).toMatchObject({ node: expect.stringMatching(/^\d+\.\d+\.\d+$/), webgpu: expect.any(String) });
    expect(results.host.node).toBe(`v${results.build.node}`); // the carried Node, not this machine's
    expect(results.vulkanLoader).toBe('system');
    expect(results.step).toMatchObject({ model: '784-256-10', batch: 128, steps: 5 });
    for (const ms of [results.step.medianMs, results.step.minMs]) expect(Number.isFinite(ms) && ms > 0, String(ms)).toBe(true);
    expect(Number.isFinite(results.step.finalLoss)).toBe(true);
    expect(results.matmul.rows.map((r: { size: number }) => r.size)).toEqual([256, 512]);
    for (const r of results.matmul.rows) expect(r.gflops).toBeGreaterThan(0);
    expect(await readdir(scratch)).toEqual([]);
  }, 120_000);

  it('stops on a software adapter without --allow-software, and carries a Vulkan loader of its own', async () => {
    const { code, stdout, stderr } = await runBundle(['--bundled-loader']);
    expect(code).toBe(1);
    expect(stdout).toContain('Vulkan loader: the archive');
    // The loader Dawn mapped is the one extracted into TMPDIR, not /usr/lib's.
    expect(vulkanLine(stdout)).toContain(`${scratch}/chainrule-gpu-bench.`);
    expect(vulkanLine(stdout)).toMatch(/\/lib\/libvulkan\.so\.1\b/);
    expect(vulkanLine(stdout)).not.toContain('/usr/lib/x86_64-linux-gnu/libvulkan');
    expect(stderr).toMatch(/^chainrule-gpu-bench: no GPU: the adapter is a software fallback .*--allow-software runs anyway\.$/m);
    expect(stdout).not.toContain('step:');
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);
});
