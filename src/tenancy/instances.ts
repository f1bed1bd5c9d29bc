import type { InstanceRequestLimits } from '../context';
import { ConflictError } from '../errors';
import { SYSTEM, transaction, type Db } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';
import { rateLimitOf } from './rate-limit';

export interface Instance {
  id: string;
  name: string;
  createdAt: Date;
}

export const INSTANCE_ID_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Creates a tenant: at bootstrap, and from the system scope (tenancy/provisioning.ts). */
export async function createInstance(db: Db, input: { id: string; name: string }, creator = 'system'): Promise<Instance> {
  if (!INSTANCE_ID_RE.test(input.id)) throw new ConflictError(`instance id '${input.id}' must match ${INSTANCE_ID_RE}`);
  try {
    return await transaction(db, SYSTEM, async (tx) => {
      const { rows } = await tx.query<{ created_at: Date }>(
        'INSERT INTO instances (id, name) VALUES ($1, $2) RETURNING created_at',
        [input.id, input.name],
      );
      await push(tx, input.id, creator, [
        { aggregateType: 'instance', aggregateId: input.id, type: 'instance.added', payload: { name: input.name }, expectedSequence: 0 },
      ]);
      return { id: input.id, name: input.name, createdAt: rows[0]!.created_at };
    });
  } catch (err) {
    rethrowUniqueViolation(err, `instance '${input.id}' already exists`, { field: 'body.id' });
  }
}

export async function instanceExists(db: Db, id: string): Promise<boolean> {
  return transaction(db, SYSTEM, async (tx) => {
    const { rowCount } = await tx.query('SELECT 1 FROM instances WHERE id = $1', [id]);
    return rowCount === 1;
  });
}

/** The instance's own request limits, for work that does not come with an API key (a workflow's sendCommand node). */
export async function requestLimitsOf(db: Db, id: string): Promise<InstanceRequestLimits> {
  const { rows } = await transaction(db, SYSTEM, (tx) =>
    tx.query<{ command_payload_bytes: number | null; rate_limit_per_second: number | null; rate_limit_burst: number | null }>(
      'SELECT command_payload_bytes, rate_limit_per_second, rate_limit_burst FROM instances WHERE id = $1',
      [id],
    ),
  );
  const r = rows[0];
  return r === undefined ? { commandPayloadBytes: null, rateLimit: null } : { commandPayloadBytes: r.command_payload_bytes, rateLimit: rateLimitOf(r) };
}
