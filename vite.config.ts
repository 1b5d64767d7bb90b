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
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    // npm run test:unit runs the first alone, in seconds; npm test runs them all.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } }, // Node, no device
      { extends: true, test: { name: 'node', include: ['test/node/**/*.test.ts'] } }, // WebGPU in Node (Dawn), the CLI
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } }, // pages in headless Chromium
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } }, // the packed tarball
    ],
  },
});
