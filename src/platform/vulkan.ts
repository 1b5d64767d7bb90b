/**
 * Which Vulkan drivers Dawn tries in Node on Linux, decided before Dawn starts: Dawn prints a native
 * warning (with a C++ source path) for every driver that fails, so chainrule asks only those that can
 * answer, and says in one line why none could.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Driver manifests (ICD .json files) to hand to the Vulkan loader together, and what to call them. */
export interface DriverSet {
  readonly label: string;
  /** VK_ICD_FILENAMES for this attempt; undefined keeps the user's own setting. */
  readonly icds: string | undefined;
}

// SwiftShader, Chrome's CPU implementation of Vulkan, as Chromium and Chrome packages install it.
const swiftshaderManifests = [
  '/usr/lib/chromium/vk_swiftshader_icd.json', // Debian, Ubuntu
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json', // Fedora
  '/opt/google/chrome/vk_swiftshader_icd.json', // Google Chrome
];

/** The driver sets to try, best first, or why there are none. */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): { sets: DriverSet[]; reason: string } {
  const loader = loaderError();
  if (loader !== undefined) return { sets: [], reason: `no Vulkan loader (${loader}); on Debian or Ubuntu: apt-get install libvulkan1` };
  const chosen = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (chosen !== undefined) {
    const missing = chosen.split(':').filter((f) => f && !existsSync(f));
    if (missing.length === chosen.split(':').filter(Boolean).length) {
      return { sets: [], reason: `no Vulkan driver: VK_ICD_FILENAMES / VK_DRIVER_FILES names no manifest that exists (${chosen})` };
    }
    return { sets: [{ label: `the drivers in VK_ICD_FILENAMES (${chosen})`, icds: undefined }], reason: '' };
  }
  const manifests = installedManifests(env);
  const software = (f: string) => /swiftshader|lvp_icd|lavapipe/.test(f);
  const hardware = manifests.filter((f) => !software(f));
  const swiftshader = swiftshaderManifests.find(existsSync);
  const lavapipe = manifests.filter((f) => /lvp_icd|lavapipe/.test(f));
  const sets: DriverSet[] = [];
  if (hardware.length > 0 && gpuDevicePresent()) sets.push({ label: 'the GPU drivers', icds: hardware.join(':') });
  if (swiftshader) sets.push({ label: 'SwiftShader', icds: swiftshader });
  if (lavapipe.length > 0) sets.push({ label: 'lavapipe', icds: lavapipe.join(':') });
  const reason =
    sets.length > 0
      ? ''
      : 'no Vulkan driver: no GPU device (/dev/dri/renderD*, /dev/nvidia*) with a driver, and no software driver ' +
        '(on Debian or Ubuntu, apt-get install chromium gives SwiftShader)';
  return { sets, reason };
}

/**
 * Why libvulkan.so.1 does not load, or undefined when it does. process.dlopen searches as the dynamic
 * linker does (LD_LIBRARY_PATH, ld.so.cache); the library loads, then is refused as a Node addon.
 */
export function loaderError(): string | undefined {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, 'libvulkan.so.1');
  } catch (e) {
    const message = (e as Error).message;
    return /did not self-register/.test(message) ? undefined : message;
  }
  return undefined;
}

/** ICD manifests where the Vulkan loader looks for them on Linux (XDG config and data directories). */
function installedManifests(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? homedir();
  const dirs = [
    env.XDG_CONFIG_HOME ?? join(home, '.config'),
    ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'),
    '/usr/local/etc',
    '/etc',
    env.XDG_DATA_HOME ?? join(home, '.local/share'),
    ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':'),
  ];
  const found = new Set<string>();
  for (const dir of dirs) {
    const icd = join(dir, 'vulkan/icd.d');
    let files: string[];
    try {
      files = readdirSync(icd);
    } catch {
      continue;
    }
    for (const f of files) if (f.endsWith('.json') && isManifest(join(icd, f))) found.add(join(icd, f));
  }
  return [...found];
}

function isManifest(path: string): boolean {
  try {
    return typeof JSON.parse(readFileSync(path, 'utf8'))?.ICD?.library_path === 'string';
  } catch {
    return false;
  }
}

/** A GPU the kernel exposes: a DRM render node (Mesa, AMD), NVIDIA's device, or WSL's GPU. */
function gpuDevicePresent(): boolean {
  let dri: string[] = [];
  try {
    dri = readdirSync('/dev/dri');
  } catch {
    // no DRM devices
  }
  return dri.some((f) => f.startsWith('renderD')) || existsSync('/dev/nvidiactl') || existsSync('/dev/dxg');
}
