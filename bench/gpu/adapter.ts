/**
 * The WebGPU adapter chainrule gets in Node, as one JSON line: a child process of bench/gpu/main.ts
 * (the self-extracting GPU benchmark), run before the benchmarks so that a software fallback is caught
 * before any number is taken. It also names the Vulkan loader and driver libraries Dawn loaded.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as cr from '../../src/node.ts';
import { vulkanDrivers } from '../../src/platform/vulkan.ts';

const { sets } = vulkanDrivers(); // what chainrule will hand Dawn, best first
const info = await cr.init({ device: 'webgpu' });
// Shared libraries this process mapped: the loader, and the ICD's library (libGLX_nvidia, libvk_swiftshader, ...).
const mapped = readFileSync('/proc/self/maps', 'utf8')
  .split('\n')
  .flatMap((line) => (line.includes(' /') ? [line.slice(line.indexOf(' /') + 1)] : []));
const libraries = [...new Set(mapped.filter((path) => /vulkan|vk_|nvidia/i.test(basename(path))))];
console.log(JSON.stringify({ ...info, driverSets: sets.map((s) => `${s.label}: ${s.icds ?? process.env.VK_ICD_FILENAMES}`), libraries }));
cr.dispose();
