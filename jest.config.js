// Two projects: `unit` (pure logic, no I/O) and `integration` (the real Kafka,
// Redis, MariaDB and SES emulator, started by test/global-setup.js when missing).
// Transpile only (each file on its own, no type information): `npm run typecheck` does the checking.
// ts-jest rather than swc: every platform build of a native transformer must be in the lockfile for
// `npm ci`, and the registry this project installs from does not carry them all.
const tsJest = [
  'ts-jest',
  {
    diagnostics: false,
    tsconfig: {
      target: 'es2022',
      module: 'commonjs',
      moduleResolution: 'node',
      esModuleInterop: true,
      isolatedModules: true,
      sourceMap: true,
    },
  },
];
const shared = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^@fcfs/kit$': '<rootDir>/packages/kit/src',
    '^@fcfs/kit/(kafka|mysql|ses)$': '<rootDir>/packages/kit/src/$1',
    '^@fcfs/kit/tracing$': '<rootDir>/packages/kit/src/tracing-sdk',
    '^@fcfs/db$': '<rootDir>/packages/db/src',
    '^@fcfs/stock$': '<rootDir>/packages/stock/src',
    '^@fcfs/proto$': '<rootDir>/proto/src',
    // test/support/platform.ts runs every part in-process from its sources.
    '^@fcfs/(auth|event|issuer)$': '<rootDir>/services/$1/src',
    '^@fcfs/bff$': '<rootDir>/bff/src',
  },
  // TypeScript first: a stray compiled .js beside a source must never shadow it.
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.infra/'],
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '/node_modules/', '/dist/'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/test/global-setup.js',
      slowTestThreshold: 30,
    },
  ],
  // Two cores: more workers only fight over the CPU the broker and databases need.
  maxWorkers: 2,
  testTimeout: 120_000,
};
