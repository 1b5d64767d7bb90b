// `virtual:chainrule/shaders` for scripts run by tsx (npm run train, the benchmarks, child processes
// of the tests): tsconfig.json's `paths` maps the name here, and the sources are built from shaders/
// when a script imports it, as the vite plugin (./wgsl-vite.ts) builds them for vite, vitest and the
// library build. Nothing is stored, so nothing can be stale.
import type { WgslSource } from '../backend/webgpu/kernels.ts';
import { buildShaders } from './wgsl.ts';

/** Every op's module, by op name (shaders/<op>.wgsl and the libraries it imports). */
export const shaderSources: Readonly<Record<string, WgslSource>> = buildShaders();
