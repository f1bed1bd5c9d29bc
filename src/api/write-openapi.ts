// Writes the OpenAPI document the API serves to a file, at build time and with no server
// running. The console's client is generated from it, so an API change that the console does
// not follow breaks the console's build.
import fs from 'node:fs';
import path from 'node:path';
import { buildOpenApi } from './openapi';
import { allRoutes } from './routes';

const out = process.argv[2];
if (out === undefined) {
  process.stderr.write('usage: node dist/api/write-openapi.js <file.json>\n');
  process.exit(2);
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(buildOpenApi(allRoutes, '/'), null, 2)}\n`);
