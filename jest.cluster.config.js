// The cluster suite (test/cluster): Cadenza as production runs it, each file on its own cluster
// (src/cluster/cluster.ts): a self-hosted Temporal server on PostgreSQL, two APIs, two workers.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/cluster/global-setup.js',
  testTimeout: 300000,
  // A killed service's leftovers must not hold CI open after the results are written; each
  // file's afterAll still stops what it started, and a test that fails to is reported there.
  forceExit: true,
  // A cluster is six processes and a database: one at a time on two cores.
  maxWorkers: 1,
  verbose: true,
};
