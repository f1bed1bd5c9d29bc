// The first start creates the `default` instance and an instance-wide admin key. The key is
// stored hashed like every other; its plaintext goes once to the caller and, for the local
// owner, to <data dir>/bootstrap-admin-key (mode 0600).
import fs from 'node:fs';
import path from 'node:path';
import { SYSTEM, transaction, type Db } from '../db/db';
import { createInstance, instanceExists } from './instances';
import { insertKey } from './keys';

export const DEFAULT_INSTANCE = 'default';

export interface Bootstrap {
  instanceId: string;
  /** The plaintext key: new, or read back from the key file; undefined if the file is gone. */
  adminKey: string | undefined;
  created: boolean;
  keyFile: string;
}

export async function ensureBootstrap(db: Db, dataDir: string): Promise<Bootstrap> {
  const keyFile = path.join(dataDir, 'bootstrap-admin-key');
  if (await instanceExists(db, DEFAULT_INSTANCE)) {
    const adminKey = fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8').trim() : undefined;
    return { instanceId: DEFAULT_INSTANCE, adminKey, created: false, keyFile };
  }
  await createInstance(db, { id: DEFAULT_INSTANCE, name: 'Default instance' });
  const { secret } = await transaction(db, SYSTEM, (tx) =>
    insertKey(tx, DEFAULT_INSTANCE, 'system', { name: 'bootstrap-admin', role: 'admin', orgId: null }),
  );
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(keyFile, `${secret}\n`, { mode: 0o600 });
  return { instanceId: DEFAULT_INSTANCE, adminKey: secret, created: true, keyFile };
}
