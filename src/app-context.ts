import type { Config } from './config/config';
import type { AppCtx } from './context';
import { createDb } from './db/db';
import type { Logger } from './log';
import { connectClient } from './temporal/connection';

export interface OpenedCtx extends AppCtx {
  close(): Promise<void>;
}

/** Opens the database pool and the Temporal client a process needs. */
export async function openAppCtx(config: Config, log: Logger, role: string): Promise<OpenedCtx> {
  if (config.database.url === undefined) throw new Error('no database URL: set DATABASE_URL or use `cadenza start`');
  const db = createDb(config.database.url, config.database.poolMax, `cadenza-${role}`);
  const client = await connectClient(config.temporal);
  return {
    config,
    db,
    log,
    temporal: { client, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue },
    async close() {
      await client.connection.close();
      await db.end();
    },
  };
}
