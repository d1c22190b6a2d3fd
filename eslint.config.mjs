import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tempered/**', 'test-artifacts/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic and import activity types only.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'child_process', 'crypto', 'os', 'http', 'https'], message: 'workflow code must not do I/O' },
          { group: ['../activities/*', '../../activities/*'], allowTypeImports: true, message: 'workflows import activity TYPES only' },
          { group: ['../lib/*', '../../lib/*', '../cli/*', '../client/*'], message: 'workflows never import the I/O library, the CLI or the client' },
        ],
      }],
    },
  },
  {
    // The library is the I/O the adapters and the CLI share: it knows nothing of Temporal's activity
    // context (heartbeats and failure types belong to the adapters in activities/).
    files: ['lib/**/*.ts'],
    ignores: ['lib/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../activities/*', '../../activities/*', '../../../activities/*'], allowTypeImports: true, message: 'the library imports activity TYPES only' },
          // Child processes get a minimal environment, never the worker's (registry password, key path): lib/process/exec.ts spawnChild.
          { group: ['node:child_process', 'child_process'], message: 'start child processes with spawnChild/exec from lib/process/exec.ts' },
        ],
      }],
    },
  },
  {
    files: ['lib/process/exec.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // A command loads what it needs when it runs (`require(...) as typeof import(...)` in its action), so
    // `tempered --help` does not load gRPC, protobuf, the builder and the signing stack (cli/main.ts).
    files: ['cli/**/*.ts'],
    ignores: ['cli/**/*.test.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
