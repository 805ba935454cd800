import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

const NODE_ONLY = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http']

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      '.next',
      'data',
      'test-results',
      'playwright-report',
      'next-env.d.ts',
      'scratch',
      'public/node',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // STYLE.md: app/ talks to lib/client only; libp2p, idb and node:* stay out of React code.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['libp2p', '@libp2p/*', '@chainsafe/*', 'idb', ...NODE_ONLY],
              message: 'app/ talks to lib/client, never to libp2p, idb or node:* directly.',
            },
            {
              group: ['@/lib/adapters/*', '@/lib/mesh/node', '@/lib/mesh/libp2p-config'],
              message: 'app/ goes through lib/client.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['app/api/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Pure cores never import adapters (STYLE.md dependency direction).
    files: ['lib/mesh/**/*.ts', 'lib/trustchain/**/*.ts'],
    ignores: ['lib/mesh/libp2p-config.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../adapters/*',
                '@/lib/adapters/*',
                '../client/*',
                '@/lib/client/*',
                '../server/*',
                '@/lib/server/*',
                '@/app/*',
              ],
              message: 'a core never imports an adapter, the client or the server.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/adapters/**/*.ts', 'lib/server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@/app/*', '../../app/*'], message: 'an adapter never imports app/.' },
          ],
        },
      ],
    },
  },
)
