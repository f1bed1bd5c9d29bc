// Starts the real services once per test run: PostgreSQL (embedded binaries) with migrations
// applied as the owner and the app role set up as in production, and a Temporal dev server (the existing `temporal` binary, in memory). Test files
// reach them through the CADENZA_TEST_* variables.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.resolve(__dirname, '../../dist');

module.exports = async function globalSetup() {
  if (!fs.existsSync(path.join(dist, 'workflow-bundle.js'))) {
    throw new Error('dist/ is not built: run `make test` (or `npm run build`) first');
  }
  const { startEmbeddedPostgres } = require(path.join(dist, 'embedded/postgres.js'));
  const { startDevServer } = require(path.join(dist, 'embedded/temporal-server.js'));
  const { findTemporalCli } = require(path.join(dist, 'temporal/binary.js'));
  const { migrate } = require(path.join(dist, 'db/migrate.js'));
  const { freePort } = require(path.join(dist, 'embedded/process.js'));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-test-'));
  const [pg, temporal] = await Promise.all([
    freePort().then((port) => startEmbeddedPostgres(tmp, port, 'cadenza_test')),
    freePort().then((port) =>
      startDevServer({ binary: findTemporalCli(), dbFile: undefined, port, uiPort: undefined, namespace: 'default' }),
    ),
  ]);
  await migrate(pg.ownerUrl, undefined, pg.url);
  globalThis.__cadenzaServices = { pg, temporal, tmp };
  process.env.CADENZA_TEST_DATABASE_URL = pg.url;
  process.env.CADENZA_TEST_DATABASE_OWNER_URL = pg.ownerUrl;
  process.env.CADENZA_TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.CADENZA_TEST_TMP = tmp;
};
