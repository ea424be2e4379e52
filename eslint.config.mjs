// ESLint flat config. Besides the recommended TypeScript rules, it keeps two
// promises about src/ (see docs/security.md and the README):
// - the framework-free core stays free of NestJS: only src/api/, the Nest
//   modules and main.ts may import @nestjs/*;
// - nothing a request sends can run a process or touch the host's files: no
//   module of src/ may import child_process, fs, vm, worker_threads and the
//   like, nor evaluate code, except the start-up readers and writers listed
//   in HOST_FILES (and test code).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Where NestJS may be imported. */
const NEST_FILES = ['src/api/**', 'src/main.ts', 'src/**/*.module.ts'];

/**
 * The only src/ files that touch the host's file system, all at start-up, none
 * reachable from a request: the cluster manifest (CLUSTER_FILE), the token
 * file and TLS files (TOKEN_AUTH_FILE, TLS_*), the kubeconfig and certificate
 * written to DATA_DIR; and Kubernetes' OpenAPI schemas that kube-netsim ships
 * (data/openapi, a fixed path no request can name, read once on first use);
 * and the YAML reading thread (worker_threads, running kube-netsim's own
 * reader module by a fixed path, on text only); and the browser UI's built
 * files (dist/ui, a fixed list read once at start-up).
 * Adding a file here needs a line in docs/security.md.
 */
const HOST_FILES = ['src/cluster/apply/cluster-file.ts', 'src/auth/startup-files.ts', 'src/config/kubeconfig.ts', 'src/api/kube/openapi-schemas.ts', 'src/cluster/apply/yaml-thread.ts', 'src/api/ui/ui-assets.ts'];

/** Unit specs beside the sources read their golden files (their helpers live in test/support/). */
const TEST_FILES = ['src/**/*.spec.ts'];

const nestFree = {
  group: ['@nestjs/*', 'class-validator', 'class-transformer', 'fastify', '@fastify/*'],
  message: 'Domain code stays framework-free: only src/api/, *.module.ts and main.ts may import NestJS.',
};

const HOST_MODULES = ['child_process', 'fs', 'fs/promises', 'vm', 'worker_threads', 'cluster', 'module', 'inspector', 'repl', 'wasi'];
const noHost = HOST_MODULES.flatMap((name) =>
  [name, `node:${name}`].map((n) => ({
    name: n,
    message: `No host processes or files: nothing a request sends may run a process or touch a file (docs/security.md). Start-up file access lives in ${HOST_FILES.join(', ')}.`,
  })),
);

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
    rules: {
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-implied-eval': 'off', // needs type information; no-eval and no-new-func cover our code
      'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'No dynamic import() in src/: imports are static, so the rules above see them.' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'binding', message: 'No host access from src/ (docs/security.md).' },
        { object: 'process', property: 'dlopen', message: 'No host access from src/ (docs/security.md).' },
      ],
    },
  },
  // The core: neither NestJS nor the host.
  {
    files: ['src/**/*.ts'],
    ignores: [...NEST_FILES, ...HOST_FILES, ...TEST_FILES],
    rules: { 'no-restricted-imports': ['error', { paths: noHost, patterns: [nestFree] }] },
  },
  // The Nest shell: not the host.
  {
    files: NEST_FILES,
    ignores: [...HOST_FILES, ...TEST_FILES],
    rules: { 'no-restricted-imports': ['error', { paths: noHost }] },
  },
  // Start-up file access and test code in the core: not NestJS.
  {
    files: [...HOST_FILES, ...TEST_FILES],
    ignores: NEST_FILES,
    rules: { 'no-restricted-imports': ['error', { patterns: [nestFree] }] },
  },
);
