// Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then the project's tool folder
// (filled by scripts/ensure-temporal.sh). Never the SDK's download: these machines are offline.
import fs from 'node:fs';
import path from 'node:path';

const PROJECT_ROOT = path.resolve(__dirname, '../..');

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function findTemporalCli(explicit: string | undefined = process.env.TEMPORAL_CLI_PATH): string {
  if (explicit !== undefined && explicit !== '') {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`TEMPORAL_CLI_PATH is '${explicit}', which is not an executable file`);
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutable(path.join(dir, 'temporal'))) return path.join(dir, 'temporal');
  }
  for (const p of [path.join(PROJECT_ROOT, '.tools/venv/bin/temporal'), path.join(PROJECT_ROOT, '.tools/bin/temporal')]) {
    if (isExecutable(p)) return p;
  }
  throw new Error('No `temporal` CLI found. Run `make start` (it installs one into .tools) or set TEMPORAL_CLI_PATH.');
}
