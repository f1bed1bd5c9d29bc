// Workflow definitions and their immutable versions. Writes append workflow.* events and update
// the workflow_definitions / workflow_versions projections in the same transaction.
import type { TenantCtx } from '../context';
import { transaction, type Tx } from '../db/db';
import type { RunPlan } from '../dsl/run-plan';
import type { DagDefinition } from '../dsl/types';
import { validateWithScripts } from '../dsl/scripts';
import { credentialReferences, workflowReferences, type DagIssue } from '../dsl/validate';
import { credentialExists } from '../credentials/credentials';
import { NotFoundError, ValidationError } from '../errors';
import { push } from '../eventstore/eventstore';
import { newId } from '../ids';
import { decodeCursor, TIME_ID, toPage, type Page } from '../pagination';
import { visibleOrgKey } from '../tenancy/scope';
import { compareSemver, isSemver } from './semver';
import type { Workflow, WorkflowSummary, WorkflowVersion } from './view';

export interface SaveInput {
  name?: string;
  definition: unknown;
  versionLabel?: string;
}

export interface DefinitionRow {
  id: string;
  org_id: string | null;
  name: string;
  latest_version: number;
  latest_label: string | null;
  created_at: Date;
  created_by: string;
  updated_at: Date;
  active: boolean;
}

interface VersionRow {
  workflow_id: string;
  version: number;
  label: string | null;
  definition: DagDefinition;
  created_at: Date;
  created_by: string;
}

const toSummary = (r: DefinitionRow): WorkflowSummary => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  version: r.latest_version,
  versionLabel: r.latest_label,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  updatedAt: r.updated_at.toISOString(),
  active: r.active,
});

const toVersion = (r: VersionRow): WorkflowVersion => ({
  workflowId: r.workflow_id,
  version: r.version,
  label: r.label,
  definition: r.definition,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
});

/** Validates a definition against this process's node registry; throws 422 listing every issue. */
export async function checkDefinition(ctx: TenantCtx, definition: unknown, prefix = 'body.definition'): Promise<RunPlan> {
  const result = await validateWithScripts(ctx.sandbox, definition, ctx.nodes, prefix);
  if (result.plan === undefined) throw new ValidationError(result.issues, `the workflow definition has ${result.issues.length} error(s)`);
  return result.plan;
}

export async function validateOnly(ctx: TenantCtx, definition: unknown): Promise<{ valid: boolean; errors: DagIssue[] }> {
  const result = await validateWithScripts(ctx.sandbox, definition, ctx.nodes, 'body.definition');
  return { valid: result.plan !== undefined, errors: result.issues };
}

function nameOf(input: SaveInput): string {
  const name = input.name ?? (input.definition as { name?: unknown }).name;
  if (typeof name !== 'string' || name.trim() === '') throw ValidationError.field('body.name', 'is required (or set definition.name)');
  if (name.length > 200) throw ValidationError.field('body.name', 'must be at most 200 characters');
  return name.trim();
}

function checkLabel(label: string | undefined, previous: string | null): void {
  if (label === undefined) return;
  if (!isSemver(label)) throw ValidationError.field('body.versionLabel', 'must be a semantic version such as 1.2.0');
  if (previous !== null && compareSemver(label, previous) <= 0) {
    throw ValidationError.field('body.versionLabel', `must be greater than the latest label ${previous}`);
  }
}

/**
 * The workflows a definition runs (Execute Workflow, settings.errorWorkflow) must exist in the
 * saving workflow's own org; another org's workflow reads as missing.
 */
async function checkReferences(tx: Tx, ctx: TenantCtx, orgId: string | null, definition: unknown, selfId?: string): Promise<void> {
  const { instanceId } = ctx.tenant;
  const issues: DagIssue[] = [];
  for (const ref of workflowReferences(definition as DagDefinition, 'body.definition')) {
    if (ref.id === selfId) continue;
    const { rows } = await tx.query('SELECT 1 FROM workflow_definitions WHERE instance_id = $1 AND id = $2 AND deleted_at IS NULL AND org_id IS NOT DISTINCT FROM $3', [
      instanceId,
      ref.id,
      orgId,
    ]);
    if (rows.length === 0) issues.push({ field: ref.field, message: `workflow '${ref.id}' does not exist in this workflow's org` });
  }
  for (const c of credentialReferences(definition as DagDefinition, ctx.nodes, 'body.definition')) {
    if (!(await credentialExists(tx, instanceId, orgId, c.type, c.ref))) {
      issues.push({ field: c.field, message: `credential '${c.ref.name ?? c.ref.id}' (${c.type}) does not exist in this workflow's org; create it with POST /v1/credentials`, node: c.node });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues, `the workflow definition has ${issues.length} error(s)`);
}

/** Visible rows: same instance (RLS), not deleted, and in the key's org when the key is org-scoped. */
// $2 is the call's org (visibleOrgKey), so an instance-wide key acting in an org (X-Cadenza-Org) sees that org's only.
const VISIBLE = `instance_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR org_id = $2)`;

export async function findDefinition(tx: Tx, ctx: TenantCtx, id: string, lock = false): Promise<DefinitionRow> {
  const { rows } = await tx.query<DefinitionRow>(
    `SELECT * FROM workflow_definitions WHERE ${VISIBLE} AND id = $3 ${lock ? 'FOR UPDATE' : ''}`,
    [ctx.tenant.instanceId, visibleOrgKey(ctx.tenant), id],
  );
  if (rows[0] === undefined) throw new NotFoundError('workflow', id);
  return rows[0];
}

export async function findVersion(tx: Tx, instanceId: string, workflowId: string, version: number): Promise<WorkflowVersion | undefined> {
  const { rows } = await tx.query<VersionRow>('SELECT * FROM workflow_versions WHERE instance_id = $1 AND workflow_id = $2 AND version = $3', [
    instanceId,
    workflowId,
    version,
  ]);
  return rows[0] === undefined ? undefined : toVersion(rows[0]);
}

async function insertVersion(tx: Tx, e: { instanceId: string; creator: string; createdAt: Date }, id: string, version: number, label: string | null, definition: unknown) {
  await tx.query(
    `INSERT INTO workflow_versions (instance_id, workflow_id, version, label, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.instanceId, id, version, label, JSON.stringify(definition), e.createdAt, e.creator],
  );
}

export async function createWorkflow(ctx: TenantCtx, input: SaveInput): Promise<Workflow> {
  await checkDefinition(ctx, input.definition);
  const name = nameOf(input);
  checkLabel(input.versionLabel, null);
  const id = newId('wf');
  const label = input.versionLabel ?? null;
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await checkReferences(tx, ctx, ctx.tenant.orgId, input.definition);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'workflow',
        aggregateId: id,
        orgId: ctx.tenant.orgId,
        type: 'workflow.added',
        payload: { name },
        expectedSequence: 0,
        project: async (ptx, e) => {
          await ptx.query(
            `INSERT INTO workflow_definitions (instance_id, org_id, id, name, latest_version, latest_label, created_at, created_by, updated_at)
             VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $6)`,
            [e.instanceId, ctx.tenant.orgId, id, name, label, e.createdAt, e.creator],
          );
        },
      },
      {
        aggregateType: 'workflow',
        aggregateId: id,
        orgId: ctx.tenant.orgId,
        type: 'workflow.version_added',
        payload: { version: 1, label },
        expectedSequence: 1,
        project: async (ptx, e) => insertVersion(ptx, e, id, 1, label, input.definition),
      },
    ]);
    const row = await findDefinition(tx, ctx, id);
    return { ...toSummary(row), definition: input.definition as DagDefinition };
  });
}

/** A new immutable version with the next number; the name may change with it. PUT saves through saveVersion (triggers.ts), which also moves an active workflow's triggers. */
export async function updateWorkflow(ctx: TenantCtx, id: string, input: SaveInput): Promise<Workflow> {
  await checkDefinition(ctx, input.definition);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const current = await findDefinition(tx, ctx, id, true);
    await checkReferences(tx, ctx, current.org_id, input.definition, id);
    const name = input.name ?? (typeof (input.definition as { name?: unknown }).name === 'string' ? nameOf(input) : current.name);
    checkLabel(input.versionLabel, current.latest_label);
    const version = current.latest_version + 1;
    const label = input.versionLabel ?? null;
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'workflow',
        aggregateId: id,
        orgId: current.org_id,
        type: 'workflow.version_added',
        payload: { version, label, name },
        project: async (ptx, e) => {
          await insertVersion(ptx, e, id, version, label, input.definition);
          await ptx.query(
            `UPDATE workflow_definitions SET latest_version = $3, latest_label = COALESCE($4, latest_label), name = $5, updated_at = $6
              WHERE instance_id = $1 AND id = $2`,
            [e.instanceId, id, version, label, name, e.createdAt],
          );
        },
      },
    ]);
    const row = await findDefinition(tx, ctx, id);
    return { ...toSummary(row), definition: input.definition as DagDefinition };
  });
}

export async function getWorkflow(ctx: TenantCtx, id: string): Promise<Workflow> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const row = await findDefinition(tx, ctx, id);
    const v = await findVersion(tx, ctx.tenant.instanceId, id, row.latest_version);
    return { ...toSummary(row), definition: v!.definition };
  });
}

export interface ListInput {
  limit: number;
  cursor?: string;
  name?: string;
  orgId?: string;
}

export async function listWorkflows(ctx: TenantCtx, input: ListInput): Promise<Page<WorkflowSummary>> {
  const after = decodeCursor(input.cursor, TIME_ID);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    const { rows } = await tx.query<DefinitionRow>(
      `SELECT * FROM workflow_definitions
        WHERE ${VISIBLE}
          AND ($3::text IS NULL OR name ILIKE '%' || $3 || '%')
          AND ($4::text IS NULL OR org_id = $4)
          AND ($5::timestamptz IS NULL OR (created_at, id) > ($5, $6))
        ORDER BY created_at, id LIMIT $7`,
      [ctx.tenant.instanceId, visibleOrgKey(ctx.tenant), input.name ?? null, input.orgId ?? null, after?.[0] ?? null, after?.[1] ?? null, input.limit + 1],
    );
    return toPage(rows, input.limit, toSummary, (r) => [r.created_at.toISOString(), r.id]);
  });
}

export async function listVersions(ctx: TenantCtx, id: string, input: { limit: number; cursor?: string }): Promise<Page<Omit<WorkflowVersion, 'definition'>>> {
  const after = decodeCursor(input.cursor, ['int']);
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await findDefinition(tx, ctx, id);
    const { rows } = await tx.query<VersionRow>(
      `SELECT workflow_id, version, label, created_at, created_by FROM workflow_versions
        WHERE instance_id = $1 AND workflow_id = $2 AND ($3::int IS NULL OR version > $3)
        ORDER BY version LIMIT $4`,
      [ctx.tenant.instanceId, id, after?.[0] ?? null, input.limit + 1],
    );
    const toItem = (r: VersionRow) => ({ workflowId: r.workflow_id, version: r.version, label: r.label, createdAt: r.created_at.toISOString(), createdBy: r.created_by });
    return toPage(rows, input.limit, toItem, (r) => [r.version]);
  });
}

export async function getVersion(ctx: TenantCtx, id: string, version: number): Promise<WorkflowVersion> {
  return transaction(ctx.db, ctx.tenant, async (tx) => {
    await findDefinition(tx, ctx, id);
    const v = await findVersion(tx, ctx.tenant.instanceId, id, version);
    if (v === undefined) throw new NotFoundError(`version ${version} of workflow`, id);
    return v;
  });
}

/** Soft delete: the definition disappears from the API; its versions and runs are kept. */
export async function deleteWorkflow(ctx: TenantCtx, id: string): Promise<void> {
  await transaction(ctx.db, ctx.tenant, async (tx) => {
    const current = await findDefinition(tx, ctx, id, true);
    await push(tx, ctx.tenant.instanceId, ctx.tenant.actor, [
      {
        aggregateType: 'workflow',
        aggregateId: id,
        orgId: current.org_id,
        type: 'workflow.removed',
        project: async (ptx, e) => {
          await ptx.query('UPDATE workflow_definitions SET deleted_at = $3, deleted_by = $4 WHERE instance_id = $1 AND id = $2', [
            e.instanceId,
            id,
            e.createdAt,
            e.creator,
          ]);
        },
      },
    ]);
  });
}
