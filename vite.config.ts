import { defineConfig } from 'vitest/config';

// Library build: one ESM bundle in dist/ (types come from tsc, see tsconfig.build.json).
export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    target: 'es2022',
    sourcemap: true,
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
