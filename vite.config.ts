import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { wgslShaders } from './src/cli/wgsl-vite.ts';

const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url));

// Library build: two ESM entries in dist/ (types come from tsc, see tsconfig.build.json). index.js is
// the web's (navigator.gpu, fetch); node.js adds Node's platform (Dawn, the file system) and is the
// only file that names `webgpu` or `node:*`, which stay imports for Node to resolve.
export default defineConfig({
  // `virtual:chainrule/shaders`: the kernels' WGSL, built from shaders/ when loaded (tests, dist).
  plugins: [wgslShaders()],
  build: {
    lib: { entry: { index: src('index.ts'), node: src('node.ts') }, formats: ['es'] },
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: { external: [/^node:/, 'webgpu'] },
  },
  resolve: {
    // Tests import the package as users do; under Node that is the Node entry.
    alias: { chainrule: src('node.ts') },
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
  },
});
