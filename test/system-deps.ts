// Run by `npm test` first: what the suites need from the system besides npm packages. Headless
// Chromium runs the browser suites (and its SwiftShader gives WebGPU without a GPU); the Vulkan loader
// (libvulkan1) lets Dawn, the `webgpu` package, reach SwiftShader or a GPU in Node. When they are
// missing, root with apt-get installs them; anyone else gets the command to run. Nothing here ever
// downloads a browser build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loaderError, vulkanDrivers } from '../src/platform/vulkan.ts';

const packages = ['chromium', 'libvulkan1'];

/** The Chrome or Chromium that the browser suites drive: CHROME_PATH, else the system Chromium. */
export function chromePath(): string {
  return process.env.CHROME_PATH ?? (process.platform === 'darwin' ? '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome' : '/usr/bin/chromium');
}

/** What is missing, one line each. */
function missing(): string[] {
  const lines: string[] = [];
  if (!existsSync(chromePath())) lines.push(`no Chromium at ${chromePath()} (the browser suites need it; CHROME_PATH picks another)`);
  if (process.platform === 'linux') {
    const loader = loaderError();
    if (loader !== undefined) lines.push(`no Vulkan loader: ${loader} (WebGPU in Node needs it)`);
    else if (vulkanDrivers().sets.length === 0) lines.push(`${vulkanDrivers().reason} (WebGPU in Node needs one)`);
  }
  return lines;
}

function main(): void {
  let lines = missing();
  if (lines.length === 0) return;
  const command = `apt-get install -y ${packages.join(' ')}`;
  const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
  if (!canInstall) {
    console.error(
      `npm test: ${lines.join('; ')}.\nInstall them, then run npm test again:\n  sudo apt-get update && sudo ${command}\n(on other systems: install Chrome or Chromium and set CHROME_PATH)`,
    );
    process.exit(1);
  }
  console.log(
    `npm test: ${lines.join('; ')}.\nInstalling Debian's ${packages.join(' and ')} with apt-get: Chromium runs the browser suites and its SwiftShader gives WebGPU without a GPU; libvulkan1 lets Node's Dawn reach it.`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...packages],
  ]) {
    const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (run.status !== 0) {
      console.error(`npm test: apt-get ${args.join(' ')} failed (exit ${run.status}); run it by hand: ${command}`);
      process.exit(1);
    }
  }
  lines = missing();
  if (lines.length > 0) {
    console.error(`npm test: still missing after apt-get: ${lines.join('; ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
