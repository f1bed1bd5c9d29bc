// Fuzzing from the OpenAPI document: Schemathesis (PyPI, pinned in scripts/ensure-schemathesis.sh)
// generates requests for every operation of /openapi.json, valid and invalid, and checks every
// answer with its default checks: no 5xx, every status code, content type, header and body as
// the document says, invalid input refused, valid input accepted, 405 for unsupported methods.
// A new route is fuzzed because it is in the document.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allRoutes } from '../../src/api/routes';
import { call, newTenant, ROOT, startHarness, startWorkerProcess, type Harness, type WorkerProcess } from '../helpers/harness';

const schemathesis = process.env.SCHEMATHESIS_PATH ?? path.join(ROOT, '.tools/venv/bin/schemathesis');

let h: Harness;
let worker: WorkerProcess;
beforeAll(async () => {
  h = await startHarness({ CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1' });
  worker = await startWorkerProcess(h, { CADENZA_DEMO_HANDLERS: 'true' });
}, 90_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

/**
 * Schema-valid input the schema cannot show to be wrong: an opaque cursor from nowhere, or what a
 * route checks beyond its schema (a script's syntax, a definition's graph, a reference to
 * something that does not exist), which the route declares as its own 422. For those
 * operations a 422 answer to schema-valid input is allowed; everything else must be accepted.
 */
function schemathesisConfig(): string {
  const beyondSchema = allRoutes.filter((r) => r.responses[422] !== undefined || (r.query?.shape as Record<string, unknown> | undefined)?.cursor !== undefined);
  return beyondSchema
    .map((r) => `[[operations]]\ninclude-name = "${r.method.toUpperCase()} ${r.path}"\nchecks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]\n`)
    .join('\n');
}

it('finds no server error and no answer the OpenAPI document does not describe', async () => {
  const t = await newTenant(h);
  // An instance-wide admin key acting in an org: org-level and instance-level routes both work.
  const org = await call(h, 'POST', '/v1/orgs', { key: t.adminKey, body: { name: 'fuzzed' } });
  // Schemathesis keeps its examples and reports in its working folder: a temporary one.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-fuzz-'));
  fs.writeFileSync(path.join(cwd, 'schemathesis.toml'), schemathesisConfig());
  const args = [
    'run',
    `${h.baseUrl}/openapi.json`,
    '--header',
    `Authorization: Bearer ${t.adminKey}`,
    '--header',
    `X-Cadenza-Org: ${org.body.id}`,
    '--max-examples',
    process.env.CADENZA_FUZZ_EXAMPLES ?? '15',
    '--request-timeout',
    '30',
    '--seed',
    process.env.CADENZA_FUZZ_SEED ?? '20261129',
    '--workers',
    '2',
    // The document says no string may hold U+0000 (refused with 422); JSON Schema cannot say it per field.
    '--generation-allow-x00',
    'false',
    '--generation-database',
    'none',
    '--no-color',
    '--phases',
    'examples,coverage,fuzzing',
    '--report',
    'junit',
    '--report-dir',
    cwd,
  ];
  // Its output goes to a file as it runs: a long run can be followed there.
  const file = path.join(cwd, 'output.txt');
  const out = fs.openSync(file, 'w');
  const exit = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(schemathesis, args, { cwd, stdio: ['ignore', out, out] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  fs.closeSync(out);
  const output = fs.readFileSync(file, 'utf8');
  if (exit !== 0) throw new Error(`schemathesis failed (exit ${exit}); its whole output is in ${file}:\n${output.slice(-6_000)}`);
  process.stdout.write(`${output.split('\n').filter((l) => /generated|passed|in [0-9.]+s/.test(l)).join('\n')}\n`);
}, 1_200_000);
