import { ConflictError } from '../errors';
import { SYSTEM, transaction, type Db } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push } from '../eventstore/eventstore';

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
