// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folder boundaries: imports point one way (cli → index → verify → layout/link → metadata → crypto → encoding). */
const noUpward = (patterns) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: patterns,
          message:
            'Imports point one way (cli → index → verify → layout/link → metadata → crypto → encoding).',
        },
      ],
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'bench/out/**',
      'test/fixtures/**',
      'examples/**/*.mjs',
      'bench/**',
      'scripts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'require-await': 'off',
      'no-control-regex': 'off',
      '@typescript-eslint/require-await': 'error',
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      ...noUpward(['**/cli/**', 'commander', 'chalk']),
    },
  },
  {
    files: ['src/encoding/**'],
    rules: noUpward([
      '../crypto/**',
      '../metadata/**',
      '../artifacts/**',
      '../rules/**',
      '../layout/**',
      '../link/**',
      '../verify/**',
      '../cli/**',
      '../index.js',
      'commander',
      'chalk',
    ]),
  },
  {
    files: ['src/crypto/**'],
    rules: noUpward([
      '../metadata/**',
      '../artifacts/**',
      '../rules/**',
      '../layout/**',
      '../link/**',
      '../verify/**',
      '../cli/**',
      '../index.js',
      'commander',
      'chalk',
    ]),
  },
  {
    files: ['src/metadata/**'],
    rules: noUpward([
      '../artifacts/**',
      '../layout/**',
      '../link/**',
      '../verify/**',
      '../cli/**',
      '../index.js',
      'commander',
      'chalk',
    ]),
  },
  {
    files: ['src/rules/**', 'src/artifacts/**'],
    rules: noUpward([
      '../metadata/**',
      '../crypto/**',
      '../layout/**',
      '../link/**',
      '../verify/**',
      '../cli/**',
      '../index.js',
      'commander',
      'chalk',
    ]),
  },
  {
    files: ['src/layout/**', 'src/link/**'],
    rules: noUpward(['../verify/**', '../cli/**', '../index.js', 'commander', 'chalk']),
  },
  { files: ['src/verify/**'], rules: noUpward(['../cli/**', '../index.js', 'commander', 'chalk']) },
  {
    files: ['src/cli/**'],
    rules: noUpward([
      '../encoding/**',
      '../crypto/**',
      '../metadata/**',
      '../artifacts/**',
      '../rules/**',
      '../layout/**',
      '../link/**',
      '../verify/**',
    ]),
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  }
);
