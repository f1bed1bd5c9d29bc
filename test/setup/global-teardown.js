const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const services = globalThis.__cadenzaServices;
  if (!services) return;
  await Promise.all([services.temporal.stop(), services.pg.stop()]);
  fs.rmSync(services.tmp, { recursive: true, force: true });
};
