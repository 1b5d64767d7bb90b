// The types of `virtual:chainrule/shaders` for the declaration build (tsconfig.build.json), which must
// not compile src/cli/wgsl-sources.ts: in dist/ the sources are inlined by the vite plugin.
import type { WgslSource } from './kernels.ts';

export declare const shaderSources: Readonly<Record<string, WgslSource>>;
