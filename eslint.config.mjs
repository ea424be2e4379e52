// ESLint flat config. Besides the recommended TypeScript rules, it keeps the
// framework-free core free of NestJS: only src/api/, the Nest modules and
// main.ts may import @nestjs/*.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/api/**', 'src/main.ts', 'src/**/*.module.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'class-validator', 'class-transformer', 'fastify', '@fastify/*'],
              message: 'Domain code stays framework-free: only src/api/, *.module.ts and main.ts may import NestJS.',
            },
          ],
        },
      ],
    },
  },
);
