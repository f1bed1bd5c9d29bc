// The first start creates the `default` instance and an instance-wide admin key, and a system
// key (which provisions instances). Keys are stored hashed like every other; their plaintext
// goes once to the caller and, for the local owner, to <data dir>/bootstrap-admin-key and
// <data dir>/bootstrap-system-key (mode 0600).
import fs from 'node:fs';
import path from 'node:path';
import { SYSTEM, transaction, type Db } from '../db/db';
import { createInstance, instanceExists } from './instances';
import { insertKey } from './keys';
import { hasSystemKey, insertSystemKey } from './system-keys';

export const DEFAULT_INSTANCE = 'default';

export interface Bootstrap {
  instanceId: string;
  /** The plaintext key: new, or read back from the key file; undefined if the file is gone. */
  adminKey: string | undefined;
  created: boolean;
  keyFile: string;
  /** The system key's plaintext, as adminKey; its file is created at the first start that finds none. */
  systemKey: string | undefined;
  systemKeyFile: string;
  systemKeyCreated: boolean;
}

const readKey = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined);

function writeKey(dataDir: string, file: string, secret: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
}

/** A system key, once per installation (also for installations from before system keys). */
async function ensureSystemKey(db: Db, dataDir: string, file: string): Promise<{ systemKey: string | undefined; systemKeyCreated: boolean }> {
  if (await hasSystemKey(db)) return { systemKey: readKey(file), systemKeyCreated: false };
  const { secret } = await transaction(db, SYSTEM, (tx) => insertSystemKey(tx, 'system', 'bootstrap-system'));
  writeKey(dataDir, file, secret);
  return { systemKey: secret, systemKeyCreated: true };
}

export async function ensureBootstrap(db: Db, dataDir: string): Promise<Bootstrap> {
  const keyFile = path.join(dataDir, 'bootstrap-admin-key');
  const systemKeyFile = path.join(dataDir, 'bootstrap-system-key');
  const system = await ensureSystemKey(db, dataDir, systemKeyFile);
  if (await instanceExists(db, DEFAULT_INSTANCE)) {
    return { instanceId: DEFAULT_INSTANCE, adminKey: readKey(keyFile), created: false, keyFile, ...system, systemKeyFile };
  }
  await createInstance(db, { id: DEFAULT_INSTANCE, name: 'Default instance' });
  const { secret } = await transaction(db, SYSTEM, (tx) =>
    insertKey(tx, DEFAULT_INSTANCE, 'system', { name: 'bootstrap-admin', role: 'admin', orgId: null }),
  );
  writeKey(dataDir, keyFile, secret);
  return { instanceId: DEFAULT_INSTANCE, adminKey: secret, created: true, keyFile, ...system, systemKeyFile };
}
