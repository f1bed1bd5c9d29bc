// Integration tests share one Temporal dev server and one PostgreSQL, started by the global
// setup from the built code in dist/ (make test builds it first).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The chaos suite (jest.chaos.config.js) and the cluster suite (jest.cluster.config.js) run their
  // own services, after this one. The Schemathesis fuzz run is `make fuzz` (CADENZA_FUZZ=1).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/', '<rootDir>/test/cluster/', ...(process.env.CADENZA_FUZZ === '1' ? [] : ['/test/fuzz/'])],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  testTimeout: 120000,
  maxWorkers: 2,
  // Heavy files first, so the run ends sooner on two cores.
  testSequencer: '<rootDir>/test/setup/sequencer.js',
  verbose: true,
};
