// The kernel agreement suite: `npm run test:kernel`. It needs root, iptables,
// iproute2 and nfacct, builds network namespaces, and runs apart from the unit
// and e2e projects (one worker: the suites share the machine's kernel).
// Like jest.config.js, it compiles TypeScript with swc.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  displayName: 'kernel',
  rootDir: '../..',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/kernel/**/*.kernel-spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': swc },
  maxWorkers: 1,
  testTimeout: 120000,
};
