// Executions bind a condition to an ordered list of targets and includes of other conditions.
// Conditions: request[/<operation>], response[/<operation>], function/<name>, event,
// event/<type>, event/<group>.*. The best match wins: exact, then group, then all. Each
// execution belongs to one org or to the instance; its targets and includes have the same
// owner. An org's executions see that org's traffic only; the instance's see every org's.
import { OPERATIONS, type TenantCtx } from '../context';
import { NotFoundError, ValidationError } from '../errors';
import { transaction, type Tx } from '../db/db';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { orgKey, visibleOrgKey, visibleSql } from '../tenancy/scope';
import { loadSnapshots, type TargetSnapshot } from './targets';
import type { Execution, ExecutionEntry } from './view';

export const EXECUTION_LIMITS = { includeDepth: 3, targetsPerExecution: 20, resolvedTargets: 50 };

const NAME = /^[A-Za-z0-9_-]{1,100}$/;
const EVENT_TYPE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Null when the condition is well formed, else why not. */
export function conditionProblem(condition: string): string | null {
  if (condition === 'request' || condition === 'response' || condition === 'event') return null;
  const [kind, rest, ...more] = condition.split('/');
  if (more.length > 0 || rest === undefined || rest === '') return 'must be request[/<operation>], response[/<operation>], function/<name>, event, event/<type> or event/<group>.*';
  switch (kind) {
    case 'request':
    case 'response':
      return (OPERATIONS as readonly string[]).includes(rest) ? null : `names an unknown operation '${rest}' (known: ${OPERATIONS.join(', ')})`;
    case 'function':
      return NAME.test(rest) ? null : 'function names are 1 to 100 letters, digits, _ or -';
    case 'event': {
      const type = rest.endsWith('.*') ? rest.slice(0, -2) : rest;
      return EVENT_TYPE.test(type) && type.length <= 200 ? null : 'event types are dotted names such as command.sent, groups end in .* (command.*)';
    }
    default:
      return `has an unknown kind '${kind}' (request, response, function or event)`;
  }
}

/** The conditions that could match, best first: exact, then groups (longest first), then all. */
export function candidateConditions(kind: 'request' | 'response' | 'event' | 'function', name: string): string[] {
  if (kind === 'function') return [`function/${name}`];
  if (kind !== 'event') return [`${kind}/${name}`, kind];
  const parts = name.split('.');
  const groups = parts.slice(0, -1).map((_, i) => `event/${parts.slice(0, parts.length - 1 - i).join('.')}.*`);
  return [`event/${name}`, ...groups, 'event'];
}

interface ExecutionRow {
  id: string;
  org_id: string | null;
  condition: string;
  targets: ExecutionEntry[];
  changed_at: Date;
  changed_by: string;
}

const toExecution = (r: ExecutionRow): Execution => ({ id: r.id, orgId: r.org_id, condition: r.condition, targets: r.targets, changedAt: r.changed_at.toISOString(), changedBy: r.changed_by });

/** One owner's include graph: its conditions and what each includes. */
async function allIncludes(tx: Tx, instanceId: string, owner: string): Promise<Map<string, string[]>> {
  const { rows } = await tx.query<ExecutionRow>('SELECT condition, targets FROM executions WHERE instance_id = $1 AND org_key = $2', [instanceId, owner]);
  return new Map(rows.map((r) => [r.condition, r.targets.flatMap((t) => ('include' in t ? [t.include] : []))]));
}

/** The deepest include chain below `condition`; throws on a cycle back to a condition on the path. */
function includeDepth(graph: Map<string, string[]>, condition: string, path: string[]): number {
  if (path.includes(condition)) throw new Error([...path, condition].join(' -> '));
  const children = graph.get(condition) ?? [];
  return children.reduce((max, c) => Math.max(max, 1 + includeDepth(graph, c, [...path, condition])), 0);
}

/** Targets and includes must be the execution owner's own: another owner's answer as unknown. */
async function validateEntries(tx: Tx, instanceId: string, owner: string, condition: string, entries: ExecutionEntry[]): Promise<void> {
  if (entries.length > EXECUTION_LIMITS.targetsPerExecution) throw ValidationError.field('body.targets', `at most ${EXECUTION_LIMITS.targetsPerExecution} entries`);
  const ids = entries.flatMap((e) => ('target' in e ? [e.target] : []));
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM targets WHERE instance_id = $1 AND org_key = $2 AND id = ANY($3)', [instanceId, owner, ids]);
  const known = new Set(rows.map((r) => r.id));
  const graph = await allIncludes(tx, instanceId, owner);
  graph.set(condition, entries.flatMap((e) => ('include' in e ? [e.include] : [])));
  for (const [i, e] of entries.entries()) {
    if ('target' in e && !known.has(e.target)) throw ValidationError.field(`body.targets[${i}].target`, `no target '${e.target}' of this ${owner === '' ? 'instance' : 'org'}`);
    if (!('include' in e)) continue;
    const field = `body.targets[${i}].include`;
    const problem = conditionProblem(e.include);
    if (problem !== null) throw ValidationError.field(field, problem);
    if (!graph.has(e.include)) throw ValidationError.field(field, `no execution for condition '${e.include}'`);
  }
  let depth: number;
  try {
    depth = includeDepth(graph, condition, []);
  } catch (err) {
    const i = entries.findIndex((e) => 'include' in e);
    throw ValidationError.field(`body.targets[${i}].include`, `makes an include cycle: ${(err as Error).message}`);
  }
  // Someone may include this condition: check every chain that passes through it.
  for (const root of graph.keys()) {
    try {
      depth = Math.max(depth, includeDepth(graph, root, []));
    } catch (err) {
      throw ValidationError.field('body.targets', `makes an include cycle: ${(err as Error).message}`);
    }
  }
  if (depth > EXECUTION_LIMITS.includeDepth) throw ValidationError.field('body.targets', `includes nest ${depth} deep; the limit is ${EXECUTION_LIMITS.includeDepth}`);
}

/** Executions are addressed by condition within the caller's own scope: its org, or the instance. */
const ownScope = (ctx: TenantCtx) => orgKey(ctx.tenant.orgId);

export async function setExecution(ctx: TenantCtx, condition: string, entries: ExecutionEntry[]): Promise<Execution> {
  const problem = conditionProblem(condition);
  if (problem !== null) throw ValidationError.field('body.condition', problem);
  const { instanceId, actor, orgId } = ctx.tenant;
  const owner = ownScope(ctx);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    // One writer of an owner's include graph at a time, so two PUTs cannot make a cycle together.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('executions:' || $1 || ':' || $2))", [instanceId, owner]);
    await validateEntries(tx, instanceId, owner, condition, entries);
    const existing = await findOwn(tx, instanceId, owner, condition);
    const id = existing?.id ?? newId('exe');
    let out: ExecutionRow | undefined;
    await push(tx, instanceId, actor, [
      {
        aggregateType: 'execution',
        aggregateId: id,
        orgId,
        type: 'execution.set',
        payload: { condition, targets: entries },
        project: async (ptx, e) => {
          const res = await ptx.query<ExecutionRow>(
            `INSERT INTO executions (instance_id, org_id, condition, id, targets, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (instance_id, org_key, condition) DO UPDATE SET targets = EXCLUDED.targets, changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by
             RETURNING *`,
            [instanceId, orgId, condition, id, JSON.stringify(entries), e.createdAt, e.creator],
          );
          out = res.rows[0];
        },
      },
    ]);
    return toExecution(out!);
  });
}

async function findOwn(tx: Tx, instanceId: string, owner: string, condition: string): Promise<ExecutionRow | undefined> {
  const { rows } = await tx.query<ExecutionRow>('SELECT * FROM executions WHERE instance_id = $1 AND org_key = $2 AND condition = $3', [instanceId, owner, condition]);
  return rows[0];
}

/** The executions the caller sees: its org's, or every owner's for an instance-wide key without an org. */
export async function listExecutions(ctx: TenantCtx): Promise<{ items: Execution[] }> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<ExecutionRow>(`SELECT * FROM executions WHERE instance_id = $1 AND ${visibleSql(2)} ORDER BY condition, org_key`, [
      ctx.tenant.instanceId,
      visibleOrgKey(ctx.tenant),
    ]);
    return { items: rows.map(toExecution) };
  });
}

export async function getExecution(ctx: TenantCtx, condition: string): Promise<Execution> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await findOwn(tx, ctx.tenant.instanceId, ownScope(ctx), condition);
    if (row === undefined) throw new NotFoundError('execution', condition);
    return toExecution(row);
  });
}

export async function removeExecution(ctx: TenantCtx, condition: string): Promise<void> {
  const { instanceId, orgId } = ctx.tenant;
  const owner = ownScope(ctx);
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await findOwn(tx, instanceId, owner, condition);
    if (row === undefined) throw new NotFoundError('execution', condition);
    const { rows: users } = await tx.query<{ condition: string }>(
      `SELECT condition FROM executions WHERE instance_id = $1 AND org_key = $2 AND targets @> $3::jsonb`,
      [instanceId, owner, JSON.stringify([{ include: condition }])],
    );
    if (users[0] !== undefined) throw ValidationError.field('query.condition', `is included by '${users[0].condition}'; remove that include first`);
    await push(tx, instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'execution',
        aggregateId: row.id,
        orgId,
        type: 'execution.removed',
        payload: { condition },
        project: async (ptx, e) => {
          await ptx.query('DELETE FROM executions WHERE instance_id = $1 AND org_key = $2 AND condition = $3', [e.instanceId, owner, condition]);
        },
      },
    ]);
  });
}

export interface MatchedExecution {
  executionId: string;
  /** The owning org, null for the instance: the run belongs to it. */
  orgId: string | null;
  condition: string;
  targets: TargetSnapshot[];
}

/** One owner's best-matching execution among `candidates`, with its includes flattened, or undefined. */
export async function matchExecution(tx: Tx, instanceId: string, orgId: string | null, candidates: string[]): Promise<MatchedExecution | undefined> {
  const owner = orgKey(orgId);
  const { rows } = await tx.query<ExecutionRow>('SELECT * FROM executions WHERE instance_id = $1 AND org_key = $2 AND condition = ANY($3)', [instanceId, owner, candidates]);
  const best = candidates.map((c) => rows.find((r) => r.condition === c)).find((r) => r !== undefined);
  if (best === undefined) return undefined;
  const ids = await flattenTargets(tx, instanceId, owner, best.targets, 0);
  return { executionId: best.id, orgId, condition: best.condition, targets: await loadSnapshots(tx, instanceId, owner, ids.slice(0, EXECUTION_LIMITS.resolvedTargets)) };
}

/**
 * What traffic of `orgId` (null: instance-level traffic) runs through: the instance's best match,
 * then the org's own. Another org's executions never see it.
 */
export async function matchExecutions(tx: Tx, instanceId: string, orgId: string | null, candidates: string[]): Promise<MatchedExecution[]> {
  const out: MatchedExecution[] = [];
  for (const owner of orgId === null ? [null] : [null, orgId]) {
    const m = await matchExecution(tx, instanceId, owner, candidates);
    if (m !== undefined) out.push(m);
  }
  return out;
}

async function flattenTargets(tx: Tx, instanceId: string, owner: string, entries: ExecutionEntry[], depth: number): Promise<string[]> {
  const out: string[] = [];
  for (const e of entries) {
    if ('target' in e) out.push(e.target);
    else if (depth < EXECUTION_LIMITS.includeDepth) {
      const row = await findOwn(tx, instanceId, owner, e.include);
      if (row !== undefined) out.push(...(await flattenTargets(tx, instanceId, owner, row.targets, depth + 1)));
    }
  }
  return out;
}
