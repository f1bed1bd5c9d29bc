// Load for chaos tests, and the count of what it lost. Producers send commands and start DAG runs
// as a real client would: a 503 or a broken connection is resent after Retry-After with the same
// commandId (a DAG execute is resent only after a 503, which means nothing was stored). Every
// completed command's `command.completed` event goes to a webhook target. A probe asks the API
// every 200 ms, to measure how long it answered 503.
import crypto from 'node:crypto';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { waitFor } from '../helpers/harness';
import type { Db } from '../../src/db/db';

/** What the load needs of a deployment: its API, an admin key, and its database for the counts. */
export interface Deployment {
  apiUrl: string;
  adminKey: string;
  db: Db;
}

const PROBE_MS = 200;
const INSTANCE = 'default';

export interface Figures {
  outage: string;
  /** Accepted and not completed when the outage began. */
  inFlight: number;
  accepted: number;
  completed: number;
  lost: number;
  duplicatedTransitions: number;
  /** Probes answered 503, times the probe interval. */
  seconds503: number;
  /** Sends answered 503 or cut off, then resent with the same id. */
  resends: number;
  /** Resends answered 200 with the stored command: the first try had been stored. */
  idempotentAnswers: number;
  /** Failed attempts recorded (an outage may use some; none may be lost). */
  attemptFailures: number;
  attemptFailureKinds: Record<string, number>;
  eventsDelivered: string;
  dagRuns: string;
  /** Seconds from the dependency's return to /readyz answering 200. */
  readyAfterSeconds: number | null;
}

async function post(url: string, key: string, body: unknown): Promise<{ status: number; retryAfterMs: number } | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfterMs: Number(res.headers.get('retry-after') ?? 1) * 1000 };
  } catch {
    return undefined; // refused, reset or timed out: the request may or may not have been stored
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` for each item with at most `concurrency` at once, until done or `halted()`. */
async function pool<T>(items: T[], concurrency: number, halted: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let item = queue.shift(); item !== undefined && !halted(); item = queue.shift()) await work(item);
  }));
}

const commandBody = (commandId: string, ms: number, heartbeatMs: number) => ({
  domain: 'demo',
  type: 'slow',
  commandId,
  payload: { ms },
  // Five attempts 1 s apart: an outage may cost an attempt (a crashed worker's handler), never the command.
  maxAttempts: 5,
  backoffMs: [1000],
  timeouts: { heartbeatMs },
});

export class Traffic {
  /** What this burst had accepted: commands and DAG runs. */
  accepted = new Set<string>();
  dagRuns = new Set<string>();
  resends = 0;
  idempotentAnswers = 0;
  /** Set when a test gives up: its producers stop sending. */
  private halted = false;
  private probes: { at: number; status: number }[] = [];
  private probing: Promise<void> | undefined;
  private stopProbe = false;

  private constructor(
    private readonly cluster: Deployment,
    readonly receiver: Receiver,
    readonly dagWorkflowId: string,
    readonly executionId: string,
  ) {}

  /** A webhook target for command.completed, and a small DAG (Set, a 1 s wait, Set). */
  static async prepare(cluster: Deployment): Promise<Traffic> {
    const receiver = await startReceiver();
    const key = cluster.adminKey;
    const api = async (method: string, p: string, body: unknown) => {
      const res = await fetch(cluster.apiUrl + p, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    const target = await api('POST', '/v1/targets', { name: 'chaos-receiver', type: 'webhook', endpoint: `${receiver.url}/events`, timeoutSeconds: 5 });
    await api('PUT', '/v1/executions', { condition: 'event/command.completed', targets: [{ target: target.id }] });
    const { rows } = await cluster.db.query<{ id: string }>("SELECT id FROM executions WHERE instance_id = $1 AND condition = 'event/command.completed'", [INSTANCE]);
    const set = (name: string, field: string) => ({
      id: name, name, type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [0, 0],
      parameters: { assignments: { assignments: [{ id: 'a', name: field, value: 'yes', type: 'string' }] }, includeOtherFields: true, options: {} },
    });
    const definition = {
      name: 'chaos',
      nodes: [
        { id: 'start', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {}, position: [0, 0] },
        set('Before', 'before'),
        { id: 'wait', name: 'Wait', type: 'n8n-nodes-base.wait', typeVersion: 1.1, parameters: { resume: 'timeInterval', amount: 1, unit: 'seconds' }, position: [0, 0] },
        set('After', 'after'),
      ],
      connections: {
        Start: { main: [[{ node: 'Before', type: 'main', index: 0 }]] },
        Before: { main: [[{ node: 'Wait', type: 'main', index: 0 }]] },
        Wait: { main: [[{ node: 'After', type: 'main', index: 0 }]] },
      },
      settings: { executionOrder: 'v1' },
    };
    const wf = await api('POST', '/v1/workflows', { definition });
    return new Traffic(cluster, receiver, wf.id, rows[0]!.id);
  }

  /** Starts counting a new burst. */
  beginBurst(): void {
    this.halted = false;
    this.accepted = new Set();
    this.dagRuns = new Set();
    this.resends = 0;
    this.idempotentAnswers = 0;
  }

  /** Stops the producers (a failed test must not feed the next one). */
  halt(): void {
    this.halted = true;
  }

  /** Sends `count` commands (demo/slow of `ms`), `concurrency` at a time, each until accepted. */
  async sendCommands(prefix: string, count: number, concurrency: number, ms: number, heartbeatMs = 30_000): Promise<void> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    await pool(ids, concurrency, () => this.halted, async (commandId) => {
      const body = commandBody(commandId, ms, heartbeatMs);
      for (let tries = 1; !this.halted; tries++) {
        const res = await post(`${this.cluster.apiUrl}/v1/commands`, this.cluster.adminKey, body);
        if (res?.status === 202 || res?.status === 200) {
          this.accepted.add(commandId);
          if (tries > 1) this.resends += 1;
          if (tries > 1 && res.status === 200) this.idempotentAnswers += 1;
          return;
        }
        if (res !== undefined && res.status !== 503) throw new Error(`command ${commandId} answered ${res.status}`);
        await sleep(res?.retryAfterMs ?? 1000);
      }
    });
  }

  /**
   * Sends `batches` batches of `size` commands at once: hundreds in flight within seconds. A
   * resend (after a 503 or a cut connection) of the same batch id that answers 409 was stored.
   */
  async sendBatches(prefix: string, batches: number, size: number, ms: number, heartbeatMs = 30_000): Promise<void> {
    await pool(Array.from({ length: batches }, (_, b) => `${prefix}-${b}`), batches, () => this.halted, async (batchId) => {
      const commands = Array.from({ length: size }, (_, i) => commandBody(`${batchId}-${i}`, ms, heartbeatMs));
      for (let tries = 1; !this.halted; tries++) {
        const res = await post(`${this.cluster.apiUrl}/v1/commands/batch`, this.cluster.adminKey, { batchId, commands });
        if (res?.status === 202 || (res?.status === 409 && tries > 1)) {
          for (const c of commands) this.accepted.add(c.commandId);
          if (tries > 1) this.resends += 1;
          if (res.status === 409) this.idempotentAnswers += 1;
          return;
        }
        if (res !== undefined && res.status !== 503) throw new Error(`batch ${batchId} answered ${res.status}`);
        await sleep(res?.retryAfterMs ?? 1000);
      }
    });
  }

  /** Starts `count` runs of the DAG, each until accepted (202). */
  async executeDagRuns(count: number, concurrency: number): Promise<void> {
    await pool(Array.from({ length: count }, (_, i) => i), concurrency, () => this.halted, async () => {
      while (!this.halted) {
        const res = await fetch(`${this.cluster.apiUrl}/v1/workflows/${this.dagWorkflowId}/execute`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.cluster.adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { n: crypto.randomUUID() } }),
          signal: AbortSignal.timeout(30_000),
        }).catch(() => undefined);
        const body = res === undefined ? undefined : ((await res.json().catch(() => undefined)) as { id?: string } | undefined);
        if (res?.status === 202 && body?.id) {
          this.dagRuns.add(body.id);
          return;
        }
        // A cut-off execute may have been stored; only a 503 says it was not. Either way a new run is asked for.
        if (res !== undefined && res.status !== 503) throw new Error(`execute answered ${res.status}`);
        await sleep(Number(res?.headers.get('retry-after') ?? 1) * 1000);
      }
    });
  }

  startProbe(): void {
    this.stopProbe = false;
    this.probes = [];
    this.probing = (async () => {
      while (!this.stopProbe) {
        const res = await fetch(`${this.cluster.apiUrl}/v1/commands?limit=1`, { headers: { authorization: `Bearer ${this.cluster.adminKey}` }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        this.probes.push({ at: Date.now(), status: res?.status ?? 0 });
        await res?.arrayBuffer();
        await sleep(PROBE_MS);
      }
    })();
  }

  async stopProbing(): Promise<number> {
    this.stopProbe = true;
    await this.probing;
    return (this.probes.filter((p) => p.status === 503).length * PROBE_MS) / 1000;
  }

  /**
   * Commands of this burst stored and not COMPLETED, and of those IN_PROGRESS, by their id prefix:
   * a batch is in flight once stored, before its answer (it starts its workflows first).
   */
  async storedInFlight(prefix: string): Promise<{ inFlight: number; running: number }> {
    const { rows } = await this.cluster.db.query<{ in_flight: number; running: number }>(
      `SELECT count(*) FILTER (WHERE status <> 'COMPLETED')::int AS in_flight, count(*) FILTER (WHERE status = 'IN_PROGRESS')::int AS running
         FROM commands WHERE instance_id = $1 AND domain = 'demo' AND command_id LIKE $2`,
      [INSTANCE, `${prefix}-%`],
    );
    return { inFlight: rows[0]!.in_flight, running: rows[0]!.running };
  }

  /** What is still open: commands not COMPLETED, DAG runs running, events not delivered or their runs not ended. */
  async open(): Promise<{ commands: number; dagRuns: number; undelivered: number; deliveryRuns: number }> {
    const { rows } = await this.cluster.db.query<{ commands: number; dag: number; deliveries: number }>(
      `SELECT (SELECT count(*)::int FROM commands WHERE instance_id = $1 AND domain = 'demo' AND command_id = ANY($2) AND status <> 'COMPLETED') AS commands,
              (SELECT count(*)::int FROM workflow_runs WHERE instance_id = $1 AND id = ANY($3) AND status = 'running') AS dag,
              (SELECT count(*)::int FROM runs WHERE instance_id = $1 AND kind = 'execution' AND workflow_id = ANY($4) AND state = 'running') AS deliveries`,
      [INSTANCE, [...this.accepted], [...this.dagRuns], this.deliveryWorkflowIds(await this.completedEvents())],
    );
    return { commands: rows[0]!.commands, dagRuns: rows[0]!.dag, undelivered: (await this.undelivered()).length, deliveryRuns: rows[0]!.deliveries };
  }

  private deliveryWorkflowIds(eventIds: string[]): string[] {
    return eventIds.map((e) => `execution:${INSTANCE}:${e}:${this.executionId}`);
  }

  /** Waits until every accepted command, delivery and DAG run is done, or the deadline passes; returns what is left. */
  async drain(timeoutMs: number): Promise<Awaited<ReturnType<Traffic['open']>>> {
    let left = await this.open();
    await waitFor(
      async () => {
        left = await this.open();
        return left.commands + left.dagRuns + left.undelivered + left.deliveryRuns === 0;
      },
      { timeoutMs, intervalMs: 1000, what: 'every accepted command, event delivery and DAG run to finish' },
    ).catch(() => undefined); // what is left is reported as lost
    return left;
  }

  private async completedEvents(): Promise<string[]> {
    const { rows } = await this.cluster.db.query<{ event_id: string }>(
      "SELECT event_id FROM events WHERE instance_id = $1 AND aggregate_type = 'command' AND type = 'command.completed' AND aggregate_id = ANY($2)",
      [INSTANCE, [...this.accepted].map((id) => `demo/${id}`)],
    );
    return rows.map((r) => r.event_id);
  }

  private async undelivered(): Promise<string[]> {
    const got = new Set(this.receiver.received.map((r) => r.body?.eventId as string));
    return (await this.completedEvents()).filter((e) => !got.has(e));
  }

  /** Counts what happened to everything accepted so far. */
  async figures(outage: string, inFlight: number, seconds503: number, readyAfterSeconds: number | null): Promise<Figures & { problems: string[] }> {
    const { db } = this.cluster;
    const ids = [...this.accepted];
    const aggregates = ids.map((id) => `demo/${id}`);
    const problems: string[] = [];
    const { rows: statuses } = await db.query<{ command_id: string; status: string }>(
      "SELECT command_id, status FROM commands WHERE instance_id = $1 AND domain = 'demo' AND command_id = ANY($2)",
      [INSTANCE, ids],
    );
    const completed = statuses.filter((s) => s.status === 'COMPLETED').length;
    const notCompleted = ids.filter((id) => statuses.find((s) => s.command_id === id)?.status !== 'COMPLETED');
    if (notCompleted.length > 0) problems.push(`not COMPLETED: ${notCompleted.slice(0, 10).join(', ')}`);

    const { rows: audits } = await db.query<{ aggregate_id: string; sent: number; completed: number; n: number; lo: number; hi: number }>(
      `SELECT aggregate_id, count(*) FILTER (WHERE type = 'command.sent')::int AS sent, count(*) FILTER (WHERE type = 'command.completed')::int AS completed,
              count(*)::int AS n, min(sequence) AS lo, max(sequence) AS hi
         FROM events WHERE instance_id = $1 AND aggregate_type = 'command' AND aggregate_id = ANY($2) GROUP BY aggregate_id`,
      [INSTANCE, aggregates],
    );
    for (const a of audits) {
      if (a.sent !== 1 || a.completed !== 1) problems.push(`${a.aggregate_id}: ${a.sent} command.sent, ${a.completed} command.completed`);
      if (a.lo !== 1 || a.hi !== a.n) problems.push(`${a.aggregate_id}: sequences ${a.lo}..${a.hi} for ${a.n} events`);
    }
    if (audits.length !== ids.length) problems.push(`${ids.length - audits.length} accepted commands have no audit`);
    const { rows: dup } = await db.query<{ n: number }>(
      `SELECT COALESCE(sum(n - 1), 0)::int AS n FROM (
         SELECT count(*) AS n FROM events WHERE instance_id = $1 AND aggregate_type = 'command' AND aggregate_id = ANY($2)
          GROUP BY aggregate_id, type, payload->>'attempt' HAVING count(*) > 1) d`,
      [INSTANCE, aggregates],
    );
    const { rows: failures } = await db.query<{ kind: string; n: number }>(
      `SELECT concat_ws(':', payload->'error'->>'kind', payload->'error'->>'code') AS kind, count(*)::int AS n FROM events
        WHERE instance_id = $1 AND aggregate_type = 'command' AND type = 'command.attempt_failed' AND aggregate_id = ANY($2) GROUP BY 1 ORDER BY 2 DESC`,
      [INSTANCE, aggregates],
    );

    const events = await this.completedEvents();
    const undelivered = await this.undelivered();
    if (undelivered.length > 0) problems.push(`${undelivered.length} command.completed events never delivered`);
    const { rows: eventRuns } = await db.query<{ n: number; ok: number }>(
      "SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'succeeded')::int AS ok FROM runs WHERE instance_id = $1 AND kind = 'execution' AND workflow_id = ANY($2)",
      [INSTANCE, this.deliveryWorkflowIds(events)],
    );
    if (eventRuns[0]!.n !== events.length || eventRuns[0]!.ok !== events.length) problems.push(`${events.length} events, ${eventRuns[0]!.n} delivery runs, ${eventRuns[0]!.ok} succeeded`);
    const posts = this.receiver.received.filter((r) => events.includes(r.body?.eventId)).length;

    const runIds = [...this.dagRuns];
    const { rows: dag } = await db.query<{ id: string; status: string; started: number; finished: number }>(
      `SELECT r.id, r.status,
              (SELECT count(*)::int FROM events e WHERE e.instance_id = r.instance_id AND e.aggregate_type = 'workflow_run' AND e.aggregate_id = r.id AND e.type = 'workflow_run.started') AS started,
              (SELECT count(*)::int FROM events e WHERE e.instance_id = r.instance_id AND e.aggregate_type = 'workflow_run' AND e.aggregate_id = r.id AND e.type = 'workflow_run.completed') AS finished
         FROM workflow_runs r WHERE r.instance_id = $1 AND r.id = ANY($2)`,
      [INSTANCE, runIds],
    );
    const dagDone = dag.filter((r) => r.status === 'completed' && r.started === 1 && r.finished === 1).length;
    if (dagDone !== runIds.length) problems.push(`DAG runs: ${dagDone} of ${runIds.length} completed with one started and one completed event`);

    return {
      outage,
      inFlight,
      accepted: ids.length,
      completed,
      lost: notCompleted.length,
      duplicatedTransitions: dup[0]!.n,
      seconds503,
      resends: this.resends,
      idempotentAnswers: this.idempotentAnswers,
      attemptFailures: failures.reduce((n, f) => n + f.n, 0),
      attemptFailureKinds: Object.fromEntries(failures.map((f) => [f.kind, f.n])),
      eventsDelivered: `${events.length - undelivered.length}/${events.length} (${posts} POSTs)`,
      dagRuns: `${dagDone}/${runIds.length}`,
      readyAfterSeconds,
      problems,
    };
  }

  async close(): Promise<void> {
    this.halted = true;
    this.stopProbe = true;
    await this.probing;
    await this.receiver.close();
  }
}

/** Polls /readyz from now until it answers 200; returns the seconds it took. */
export async function secondsUntilReady(apiUrl: string, timeoutMs = 60_000): Promise<number> {
  const from = Date.now();
  await waitFor(async () => (await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.status === 200, {
    timeoutMs,
    intervalMs: 250,
    what: '/readyz to answer 200',
  });
  return (Date.now() - from) / 1000;
}

/** One line per outage, as the issue asks, for the CI log. */
export function report(all: Figures[]): string {
  const head = ['outage', 'in flight', 'accepted', 'completed', 'lost', 'dup. transitions', '503 s', 'resends (200)', 'attempt failures', 'events delivered', 'DAG runs', '/readyz after'];
  const rows = all.map((f) => [
    f.outage, f.inFlight, f.accepted, f.completed, f.lost, f.duplicatedTransitions, f.seconds503.toFixed(1),
    `${f.resends} (${f.idempotentAnswers})`, `${f.attemptFailures}${f.attemptFailures > 0 ? ` (${Object.entries(f.attemptFailureKinds).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`, f.eventsDelivered, f.dagRuns, f.readyAfterSeconds === null ? '-' : `${f.readyAfterSeconds.toFixed(1)} s`,
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
