// typescript-eslint's strictest type-aware preset (strictTypeChecked) over sources, tests, benchmarks and scripts.
// Two options are set rather than rules turned off: numbers and booleans may appear in template strings
// (messages print offsets and counts), and node:test's test()/describe() promises are awaited by the runner.
// Findings that predate the linter are recorded in eslint-suppressions.json: `npm run lint` fails on any new one
// (and on a suppression that no longer matches, so the file only shrinks: `npx eslint --prune-suppressions .`).
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'out/', 'examples/'] },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked], languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } } },
);
