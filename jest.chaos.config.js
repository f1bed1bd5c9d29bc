// The chaos suite (test/chaos): each file starts its own PostgreSQL, Temporal dev server and
// Cadenza processes, and kills or restarts them. make test runs it after the main suite, one
// file at a time, so it shares neither services nor CPU with the other suites.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/chaos'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 300000,
  // A killed service's leftovers must not hold CI open after the results are written; each
  // file's afterAll still stops what it started, and a test that fails to is reported there.
  forceExit: true,
  maxWorkers: 1,
  verbose: true,
};
