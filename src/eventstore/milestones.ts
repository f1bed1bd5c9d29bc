// Milestones: the first time an instance, and each of its orgs, reached a step of first use
// (README "Milestones"). A projection of the event log that `push` runs after every new event's
// own projection, in the same transaction. Reaching one writes its row once and appends a
// `milestone.reached` event, which event executions can deliver; the delivery's successful
// target call sets the row's pushed date (markMilestonePushed).
import type { Tx } from '../db/db';

export interface MilestoneDefinition {
  name: string;
  /** The event type that reaches it, and the payload condition it needs (none: any such event). */
  reachedBy: string;
  when?: (payload: Record<string, unknown>) => boolean;
  /** Instance-level only: the event concerns the instance, not one of its orgs. */
  instanceOnly?: boolean;
}

/** Every milestone, in the order a first use reaches them (README "Milestones" names their Zitadel counterparts). */
export const MILESTONES: readonly MilestoneDefinition[] = [
  { name: 'instance_created', reachedBy: 'instance.added', instanceOnly: true },
  { name: 'org_created', reachedBy: 'org.added' },
  { name: 'api_key_created', reachedBy: 'key.added' },
  { name: 'command_sent', reachedBy: 'command.sent' },
  { name: 'command_completed', reachedBy: 'command.completed' },
  { name: 'tsq_command_retried', reachedBy: 'command.operator_retry' },
  { name: 'action_run_started', reachedBy: 'run.started', when: (p) => p.kind === 'flow' },
  { name: 'target_call_succeeded', reachedBy: 'run.call_recorded', when: (p) => p.state === 'succeeded' },
  { name: 'workflow_run_started', reachedBy: 'workflow_run.started' },
];

export const MILESTONE_REACHED = 'milestone.reached';

const BY_EVENT_TYPE = new Map<string, MilestoneDefinition[]>();
for (const m of MILESTONES) BY_EVENT_TYPE.set(m.reachedBy, [...(BY_EVENT_TYPE.get(m.reachedBy) ?? []), m]);

/** What of a stored event the projection reads (structural: the event store imports this module). */
interface ReachingEvent {
  instanceId: string;
  orgId: string | null;
  type: string;
  payload: Record<string, unknown>;
  eventId: string;
  createdAt: Date;
}

/** A milestone.reached event for `push` to append. */
export interface MilestoneReachedEvent {
  aggregateType: 'milestone';
  aggregateId: string;
  orgId: string | null;
  type: typeof MILESTONE_REACHED;
  eventId: string;
  payload: { milestone: string; orgId: string | null; reachedAt: string; causeType: string; causeEventId: string };
}

// Once committed, a milestone never goes back: the pool's known facts (tx.known) spare the hot
// path (every command.sent) the INSERT after its first conflict.
const reachedKey = (instanceId: string, orgId: string | null, milestone: string) => `milestone\u0000${instanceId}\u0000${orgId ?? ''}\u0000${milestone}`;

/**
 * Writes the milestones `event` reaches for the first time (for the instance, and for the
 * event's org) and returns their milestone.reached events. Costs nothing for other event types,
 * and one Map lookup per milestone while its rows are known reached.
 */
export async function reachMilestones(tx: Tx, event: ReachingEvent): Promise<MilestoneReachedEvent[]> {
  const definitions = BY_EVENT_TYPE.get(event.type);
  if (definitions === undefined) return [];
  const candidates: { orgId: string | null; milestone: string; key: string }[] = [];
  for (const m of definitions) {
    if (m.when !== undefined && !m.when(event.payload)) continue;
    const owners = event.orgId === null || m.instanceOnly ? [null] : [null, event.orgId];
    for (const orgId of owners) {
      const key = reachedKey(event.instanceId, orgId, m.name);
      if (!tx.known.has(key)) candidates.push({ orgId, milestone: m.name, key });
    }
  }
  if (candidates.length === 0) return [];
  const { rows } = await tx.query<{ org_key: string; milestone: string }>(
    `INSERT INTO milestones (instance_id, org_id, milestone, reached_at, cause_event_id, cause_type, event_id)
     SELECT $1, c.org_id, c.milestone, $2, $3, $4, c.event_id
       FROM unnest($5::text[], $6::text[], $7::text[]) AS c (org_id, milestone, event_id)
     ON CONFLICT (instance_id, org_key, milestone) DO NOTHING
     RETURNING org_key, milestone`,
    [event.instanceId, event.createdAt, event.eventId, event.type, candidates.map((c) => c.orgId), candidates.map((c) => c.milestone), candidates.map((c) => milestoneEventId(c.orgId, c.milestone))],
  );
  const inserted = new Set(rows.map((r) => `${r.org_key}\u0000${r.milestone}`));
  const reached: MilestoneReachedEvent[] = [];
  for (const c of candidates) {
    if (!inserted.has(`${c.orgId ?? ''}\u0000${c.milestone}`)) {
      tx.known.remember(c.key);
      continue;
    }
    reached.push({
      aggregateType: 'milestone',
      aggregateId: `${c.orgId ?? event.instanceId}:${c.milestone}`,
      orgId: c.orgId,
      type: MILESTONE_REACHED,
      eventId: milestoneEventId(c.orgId, c.milestone),
      payload: { milestone: c.milestone, orgId: c.orgId, reachedAt: event.createdAt.toISOString(), causeType: event.type, causeEventId: event.eventId },
    });
  }
  return reached;
}

const milestoneEventId = (orgId: string | null, milestone: string) => `milestone:${orgId ?? ''}:${milestone}`;

/**
 * Sets the pushed date of the milestone whose milestone.reached event a successful target call
 * of run `runId` carried. Only an event execution's run counts (its stored body names the event),
 * so a request body that merely looks like one changes nothing.
 */
export async function markMilestonePushed(tx: Tx, instanceId: string, runId: string, body: unknown, at: Date): Promise<void> {
  if (!isMilestoneDelivery(body)) return;
  await tx.query(
    `UPDATE milestones m SET pushed_at = $4
       FROM runs r
      WHERE m.instance_id = $1 AND m.event_id = $3 AND m.pushed_at IS NULL
        AND r.instance_id = $1 AND r.id = $2 AND r.kind = 'execution'
        AND r.context_in->>'mode' = 'event' AND r.context_in->'body'->>'eventId' = $3`,
    [instanceId, runId, body.eventId, at],
  );
}

function isMilestoneDelivery(body: unknown): body is { eventId: string } {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return b.type === MILESTONE_REACHED && typeof b.eventId === 'string';
}
