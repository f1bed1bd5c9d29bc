// Builds the Temporal server once before any cluster starts (minutes on a clean machine), so no
// test's timeout includes the build.
const fs = require('node:fs');
const path = require('node:path');

module.exports = async function globalSetup() {
  const dist = path.resolve(__dirname, '../../dist');
  if (!fs.existsSync(path.join(dist, 'workflow-bundle.js'))) throw new Error('dist/ is not built: run `make test` first');
  require(path.join(dist, 'cluster/temporal-server.js')).ensureServerTools();
};
