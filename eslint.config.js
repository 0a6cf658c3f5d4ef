// @ts-check
/**
 * ESLint flat config. Type-aware (typescript-eslint's project service) because the rules that catch
 * real bugs in this code base need types: floating promises in a transaction, async callbacks where a
 * void one is expected, awaiting a non-promise. The import direction between packages is not checked
 * here but by dependency-cruiser (.dependency-cruiser.cjs), the second half of `npm run lint`.
 */
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Test runners' focus and skip modifiers: a committed `.only` silently disables the rest of a suite. */
const focusedOrSkipped = ['it', 'test', 'describe', 'suite'].flatMap((fn) =>
  ['only', 'skip'].map((modifier) => ({
    selector: `CallExpression > MemberExpression.callee[object.name="${fn}"][property.name="${modifier}"]`,
    message: `${fn}.${modifier} must not be committed: it silently changes which tests run.`,
  })),
);

export default defineConfig(
  globalIgnores(['**/node_modules/**', '**/dist/**', 'client/examples/**', 'schemas/src/generated/**', 'connector-sdk/src/generated/**', '**/.data/**', '**/coverage/**']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      'no-restricted-syntax': ['error', ...focusedOrSkipped],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An async function without await is how a handler satisfies a Promise-returning contract;
      // the bug this rule hunts (a forgotten await) is caught by no-floating-promises instead.
      '@typescript-eslint/require-await': 'off',
      // Objection's static query builders and vitest's `expect(obj.method)` are safe unbound uses.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests read responses as loosely typed JSON (the harness checks them against the OpenAPI document instead).
    files: ['**/*.test.ts', 'test/**/*.ts', '**/testing/**/*.ts', '**/testing.ts', 'connectors/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Command-line programs print to the terminal by design.
    files: ['hub/src/cli.ts', 'test/bench/**', 'schemas/scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
  },
);
