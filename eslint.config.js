// Lint, and the layers of DESIGN.md enforced as rules rather than good intentions:
// - the engine and shared/ import nothing from Electron or React;
// - shared/ imports nothing from Node either (the renderer imports it);
// - the renderer imports nothing from Node, Electron or the engine: only shared/ crosses.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'worker_threads',
  'stream',
  'util',
  'url',
  'module',
  'dgram',
  'tls',
];
const noNode = [
  { group: ['node:*'], message: 'no Node modules here: this code runs in the browser too' },
  ...nodeBuiltins.map((name) => ({
    group: [name, `${name}/*`],
    message: 'no Node modules here: this code runs in the browser too',
  })),
];
const noElectron = {
  group: ['electron', 'electron/*'],
  message: 'only electron/main and electron/preload import Electron',
};
const noReact = {
  group: ['react', 'react-dom', 'react/*', 'react-dom/*', 'uplot'],
  message: 'UI libraries belong to the renderer',
};

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.cache/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['electron/engine/**', 'electron/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noElectron,
            noReact,
            {
              group: ['**/main/*', '**/preload/*', '**/renderer/*'],
              message: 'the engine reaches other layers only through shared/',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...noNode,
            noElectron,
            noReact,
            {
              group: ['**/electron/**', '**/renderer/**', 'ws', '@duckdb/*'],
              message: 'shared/ is the contract: it imports only zod and itself',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...noNode,
            noElectron,
            {
              group: ['**/electron/**', 'ws', '@duckdb/*', 'mqtt', 'serialport'],
              message: 'the renderer reaches the engine only through shared/',
            },
          ],
        },
      ],
    },
  },
);
