// ESLint (npm run lint, run by npm test): JavaScript's and TypeScript's recommended rules, import
// hygiene, and the project's layering, which test/unit/imports.test.ts checks in full.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-pages/', 'node_modules/', 'bench/results/', '.puppeteerrc.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-duplicates': 'error',
      'import-x/first': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-useless-path-segments': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Op specs and tests pass heterogeneous attrs around: `any` stays allowed where it is written.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // backend/ runs kernels on storages and knows nothing of graphs or tensors (DESIGN.md's layers).
    files: ['src/backend/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/graph.ts', '**/tensor.ts', '**/executor.ts', '**/autograd.ts', '**/device.ts'],
              message: 'backend/ knows nothing of graphs or tensors',
            },
          ],
        },
      ],
    },
  },
);
