// The embedded PostgreSQL's start, as `cadenza start` runs it when it restarts a crashed one: it
// must end, with a reason, whatever holds its port. (A supervisor stuck in a start could not be
// stopped: the CI run of 30 November hung this way.)
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/embedded/postgres';
import { freePort } from '../helpers/harness';

let dataDir: string;
let silent: net.Server | undefined;
const sockets = new Set<net.Socket>();

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-embedded-pg-'));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => (silent ? silent.close(r) : r(undefined)));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded PostgreSQL start', () => {
  it('fails with PostgreSQL’s own reason, not a hang, when something that never answers holds its port', async () => {
    // Accepts connections and never says a word, as a backend orphaned by a SIGKILLed postmaster can.
    const port = await freePort();
    silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent!.listen(port, '127.0.0.1', resolve));
    await expect(startEmbeddedPostgres(dataDir, port)).rejects.toThrow(/PostgreSQL exited during start:[\s\S]*could not (bind|create listen socket)/);
  });
});
