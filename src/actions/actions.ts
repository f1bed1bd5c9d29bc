// Actions: the write side (events action.added, action.changed, action.rolled_back,
// action.deactivated, action.reactivated, action.removed) and the read side (actions,
// action_versions). Every create, change and rollback adds an immutable version.
import type { TenantCtx } from '../context';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { rethrowUniqueViolation } from '../db/unique';
import { push, type StoredEvent } from '../eventstore/eventstore';
import { newId, sha256Hex } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { removeActionFromTriggers } from '../flows/flows';
import { ownerOrgId, type Owner } from './owner';
import { ACTION_APIS, type Action, type ActionApi, type ActionState, type ActionVersion } from './view';

export const ACTION_LIMITS = { scriptBytes: 40_000, nameLength: 200, defaultTimeoutSeconds: 10 };

export interface ActionInput {
  name: string;
  script: string;
  api?: ActionApi;
  timeoutSeconds?: number;
  allowedToFail?: boolean;
}

interface ActionRow {
  instance_id: string;
  id: string;
  org_id: string | null;
  name: string;
  script: string;
  api: ActionApi;
  timeout_ms: number;
  allowed_to_fail: boolean;
  state: ActionState;
  version: number;
  sequence: number;
  created_at: Date;
  created_by: string;
  changed_at: Date;
  changed_by: string;
}

interface VersionRow {
  action_id: string;
  version: number;
  name: string;
  script: string;
  api: ActionApi;
  script_hash: string;
  timeout_ms: number;
  allowed_to_fail: boolean;
  rolled_back_from: number | null;
  created_at: Date;
  created_by: string;
}

/** The definition a version pins: what a run executes. */
interface Definition {
  name: string;
  script: string;
  api: ActionApi;
  timeoutMs: number;
  allowedToFail: boolean;
}

const toAction = (r: ActionRow): Action => ({
  id: r.id,
  owner: r.org_id === null ? 'instance' : 'org',
  orgId: r.org_id,
  name: r.name,
  script: r.script,
  api: r.api,
  timeoutSeconds: r.timeout_ms / 1000,
  allowedToFail: r.allowed_to_fail,
  state: r.state,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  changedAt: r.changed_at.toISOString(),
  changedBy: r.changed_by,
});

const toVersion = (r: VersionRow): ActionVersion => ({
  actionId: r.action_id,
  version: r.version,
  name: r.name,
  script: r.script,
  api: r.api,
  scriptHash: r.script_hash,
  timeoutSeconds: r.timeout_ms / 1000,
  allowedToFail: r.allowed_to_fail,
  rolledBackFrom: r.rolled_back_from,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
});

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Checks a definition before it is stored; each problem is a 422 naming its field. */
export async function validateDefinition(ctx: TenantCtx, d: Definition): Promise<void> {
  if (d.name.length < 1 || d.name.length > ACTION_LIMITS.nameLength) {
    throw ValidationError.field('body.name', `must be 1 to ${ACTION_LIMITS.nameLength} characters`);
  }
  // The script is called by the action's name, so the name must be a function name.
  if (!IDENTIFIER.test(d.name)) throw ValidationError.field('body.name', 'must be a JavaScript identifier (letters, digits, _ and $)');
  if (!ACTION_APIS.includes(d.api)) throw ValidationError.field('body.api', `must be one of ${ACTION_APIS.join(', ')}`);
  const bytes = Buffer.byteLength(d.script);
  if (bytes > ACTION_LIMITS.scriptBytes) throw ValidationError.field('body.script', `is ${bytes} bytes; the limit is ${ACTION_LIMITS.scriptBytes} bytes`);
  const max = ctx.config.actions.maxTimeoutSeconds;
  if (d.timeoutMs <= 0 || d.timeoutMs > max * 1000) throw ValidationError.field('body.timeoutSeconds', `must be more than 0 and at most ${max} seconds`);
  const syntax = await ctx.sandbox.checkSyntax(d.script, 'action.js');
  if (syntax !== undefined) throw ValidationError.field('body.script', `line ${syntax.line ?? '?'}: ${syntax.message}`);
  if (!new RegExp(`(^|[^\\w$.])(async\\s+)?function\\s+${d.name.replace(/\$/g, '\\$')}\\s*\\(`).test(d.script)) {
    throw ValidationError.field('body.script', `must define function ${d.name}(ctx, api)`);
  }
}

async function findAction(tx: Tx, ctx: TenantCtx, owner: Owner, id: string, lock = false): Promise<ActionRow> {
  const { rows } = await tx.query<ActionRow>(
    `SELECT * FROM actions WHERE instance_id = $1 AND id = $2 AND org_id IS NOT DISTINCT FROM $3 ${lock ? 'FOR UPDATE' : ''}`,
    [ctx.tenant.instanceId, id, ownerOrgId(owner)],
  );
  if (rows[0] === undefined) throw new NotFoundError('action', id);
  return rows[0];
}

async function insertVersion(tx: Tx, e: StoredEvent, actionId: string, version: number, d: Definition, rolledBackFrom: number | null): Promise<void> {
  await tx.query(
    `INSERT INTO action_versions (instance_id, action_id, org_id, version, name, script, api, script_hash, timeout_ms, allowed_to_fail, rolled_back_from, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [e.instanceId, actionId, e.orgId, version, d.name, d.script, d.api, sha256Hex(d.script), d.timeoutMs, d.allowedToFail, rolledBackFrom, e.createdAt, e.creator],
  );
}

function nameTaken(err: unknown, name: string): never {
  rethrowUniqueViolation(err, `an action named '${name}' already exists for this owner`);
}

export async function addAction(ctx: TenantCtx, owner: Owner, input: ActionInput): Promise<Action> {
  const d: Definition = {
    name: input.name,
    script: input.script,
    api: input.api ?? 'cadenza',
    timeoutMs: Math.round((input.timeoutSeconds ?? ACTION_LIMITS.defaultTimeoutSeconds) * 1000),
    allowedToFail: input.allowedToFail ?? false,
  };
  await validateDefinition(ctx, d);
  const id = newId('act');
  try {
    return await transaction(ctx.db, ctx.tenant, async (tx) => {
      await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
        {
          aggregateType: 'action',
          aggregateId: id,
          orgId: ownerOrgId(owner),
          type: 'action.added',
          payload: { name: d.name, scriptHash: sha256Hex(d.script), api: d.api, timeoutMs: d.timeoutMs, allowedToFail: d.allowedToFail, version: 1 },
          expectedSequence: 0,
          project: async (ptx, e) => {
            await ptx.query(
              `INSERT INTO actions (instance_id, id, org_id, name, script, api, timeout_ms, allowed_to_fail, state, version, sequence, created_at, created_by, changed_at, changed_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', 1, $9, $10, $11, $10, $11)`,
              [e.instanceId, id, e.orgId, d.name, d.script, d.api, d.timeoutMs, d.allowedToFail, e.sequence, e.createdAt, e.creator],
            );
            await insertVersion(ptx, e, id, 1, d, null);
          },
        },
      ]);
      return toAction(await findAction(tx, ctx, owner, id));
    });
  } catch (err) {
    return nameTaken(err, d.name);
  }
}

/** Applies a new definition as the next version (a change, or a rollback to `rolledBackFrom`). */
async function newVersion(
  ctx: TenantCtx,
  tx: Tx,
  row: ActionRow,
  d: Definition,
  type: 'action.changed' | 'action.rolled_back',
  rolledBackFrom: number | null,
): Promise<void> {
  const version = row.version + 1;
  await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
    {
      aggregateType: 'action',
      aggregateId: row.id,
      orgId: row.org_id,
      type,
      payload: { name: d.name, scriptHash: sha256Hex(d.script), api: d.api, timeoutMs: d.timeoutMs, allowedToFail: d.allowedToFail, version, ...(rolledBackFrom === null ? {} : { rolledBackFrom }) },
      expectedSequence: row.sequence,
      project: async (ptx, e) => {
        await ptx.query(
          `UPDATE actions SET name = $3, script = $4, api = $5, timeout_ms = $6, allowed_to_fail = $7, version = $8, sequence = $9, changed_at = $10, changed_by = $11
            WHERE instance_id = $1 AND id = $2`,
          [e.instanceId, row.id, d.name, d.script, d.api, d.timeoutMs, d.allowedToFail, version, e.sequence, e.createdAt, e.creator],
        );
        await insertVersion(ptx, e, row.id, version, d, rolledBackFrom);
      },
    },
  ]);
}

export async function changeAction(ctx: TenantCtx, owner: Owner, id: string, input: Partial<ActionInput>): Promise<Action> {
  try {
    return await transaction(ctx.db, ctx.tenant, async (tx) => {
      const row = await findAction(tx, ctx, owner, id, true);
      const d: Definition = {
        name: input.name ?? row.name,
        script: input.script ?? row.script,
        api: input.api ?? row.api,
        timeoutMs: input.timeoutSeconds === undefined ? row.timeout_ms : Math.round(input.timeoutSeconds * 1000),
        allowedToFail: input.allowedToFail ?? row.allowed_to_fail,
      };
      await validateDefinition(ctx, d);
      await newVersion(ctx, tx, row, d, 'action.changed', null);
      return toAction(await findAction(tx, ctx, owner, id));
    });
  } catch (err) {
    return nameTaken(err, input.name ?? '');
  }
}

export async function rollbackAction(ctx: TenantCtx, owner: Owner, id: string, version: number): Promise<Action> {
  try {
    return await transaction(ctx.db, ctx.tenant, async (tx) => {
      const row = await findAction(tx, ctx, owner, id, true);
      const old = await findVersion(tx, ctx, id, version, 'body.version');
      const d: Definition = { name: old.name, script: old.script, api: old.api, timeoutMs: old.timeout_ms, allowedToFail: old.allowed_to_fail };
      await newVersion(ctx, tx, row, d, 'action.rolled_back', version);
      return toAction(await findAction(tx, ctx, owner, id));
    });
  } catch (err) {
    return nameTaken(err, '(the name of that version)');
  }
}

async function setState(ctx: TenantCtx, owner: Owner, id: string, state: ActionState): Promise<Action> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await findAction(tx, ctx, owner, id, true);
    if (row.state === state) throw new ConflictError(`action '${id}' is already ${state}`);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'action',
        aggregateId: id,
        orgId: row.org_id,
        type: state === 'active' ? 'action.reactivated' : 'action.deactivated',
        expectedSequence: row.sequence,
        project: async (ptx, e) => {
          await ptx.query(
            'UPDATE actions SET state = $3, sequence = $4, changed_at = $5, changed_by = $6 WHERE instance_id = $1 AND id = $2',
            [e.instanceId, id, state, e.sequence, e.createdAt, e.creator],
          );
        },
      },
    ]);
    return toAction(await findAction(tx, ctx, owner, id));
  });
}

export const deactivateAction = (ctx: TenantCtx, owner: Owner, id: string) => setState(ctx, owner, id, 'inactive');
export const reactivateAction = (ctx: TenantCtx, owner: Owner, id: string) => setState(ctx, owner, id, 'active');

/** Deletes an action; every trigger that uses it loses it first, with an event per flow. */
export async function removeAction(ctx: TenantCtx, owner: Owner, id: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await findAction(tx, ctx, owner, id, true);
    await removeActionFromTriggers(ctx, tx, owner, id);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'action',
        aggregateId: id,
        orgId: row.org_id,
        type: 'action.removed',
        payload: { name: row.name },
        expectedSequence: row.sequence,
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM action_versions WHERE instance_id = $1 AND action_id = $2', [e.instanceId, id]);
          await ptx.query('DELETE FROM actions WHERE instance_id = $1 AND id = $2', [e.instanceId, id]);
        },
      },
    ]);
  });
}

export async function getAction(ctx: TenantCtx, owner: Owner, id: string): Promise<Action> {
  return transaction(ctx.db, ctx.tenant, async (tx) => toAction(await findAction(tx, ctx, owner, id)));
}

export async function listActions(ctx: TenantCtx, owner: Owner, input: { limit: number; cursor?: string; state?: ActionState }): Promise<Page<Action>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<ActionRow>(
      `SELECT * FROM actions
        WHERE instance_id = $1 AND org_id IS NOT DISTINCT FROM $2
          AND ($3::text IS NULL OR state = $3)
          AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
        ORDER BY created_at, id LIMIT $6`,
      [ctx.tenant.instanceId, ownerOrgId(owner), input.state ?? null, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toAction, (r) => [r.created_at.toISOString(), r.id]);
  });
}

async function findVersion(tx: Tx, ctx: TenantCtx, actionId: string, version: number, field?: string): Promise<VersionRow> {
  const { rows } = await tx.query<VersionRow>('SELECT * FROM action_versions WHERE instance_id = $1 AND action_id = $2 AND version = $3', [
    ctx.tenant.instanceId,
    actionId,
    version,
  ]);
  if (rows[0] === undefined) {
    if (field !== undefined) throw ValidationError.field(field, `action '${actionId}' has no version ${version}`);
    throw new NotFoundError('action version', `${actionId}/${version}`);
  }
  return rows[0];
}

export async function listVersions(ctx: TenantCtx, owner: Owner, id: string): Promise<{ items: ActionVersion[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await findAction(tx, ctx, owner, id);
    const { rows } = await tx.query<VersionRow>('SELECT * FROM action_versions WHERE instance_id = $1 AND action_id = $2 ORDER BY version', [
      ctx.tenant.instanceId,
      id,
    ]);
    return { items: rows.map(toVersion) };
  });
}

export async function getVersion(ctx: TenantCtx, owner: Owner, id: string, version: number): Promise<ActionVersion> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await findAction(tx, ctx, owner, id);
    return toVersion(await findVersion(tx, ctx, id, version));
  });
}

/** A pinned version for a run (system-side read: the activity knows only the instance). */
export async function loadVersion(tx: Tx, instanceId: string, actionId: string, version: number): Promise<ActionVersion | undefined> {
  const { rows } = await tx.query<VersionRow>('SELECT * FROM action_versions WHERE instance_id = $1 AND action_id = $2 AND version = $3', [
    instanceId,
    actionId,
    version,
  ]);
  return rows[0] === undefined ? undefined : toVersion(rows[0]);
}
