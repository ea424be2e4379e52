// One Jest run covers the unit specs beside the code (src/**/*.spec.ts,
// ui/**/*.spec.ts), the HTTP e2e specs (test/**/*.e2e-spec.ts) and the browser
// specs (test/browser/**/*.browser-spec.ts). NestJS 12 ships pure ESM, which Jest
// on Node 20 can only load through a transform, so node_modules packages that
// are ESM are allow-listed and compiled to CommonJS by swc (see docs/toolchain.md).
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
  '@standard-schema',
  '@kubernetes/client-node',
  'jose',
  'oauth4webapi',
  'openid-client',
];

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

const common = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.(t|mj|j|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/ui/**/*.spec.ts'] },
    // An e2e spec starts a whole server; on a loaded machine that alone can pass Jest's 5 s default.
    { ...common, displayName: 'e2e', rootDir: '.', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'], testTimeout: 30_000 },
    // The browser UI in Debian's Chromium (docs/ui.md); needs dist/ui built (`npm run build:ui`).
    { ...common, displayName: 'browser', rootDir: '.', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
