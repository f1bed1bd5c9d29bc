import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseMasterKey } from '../config/config';

/** The embedded default's master key: generated once into the data folder (mode 0600). */
export function loadOrCreateMasterKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'master-key');
  if (fs.existsSync(file)) {
    const key = parseMasterKey(fs.readFileSync(file, 'utf8').trim());
    if (key === undefined) throw new Error(`${file} does not hold a 32-byte key; remove it only if no secrets were stored with it`);
    return key;
  }
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  return key;
}
