// Prometheus metrics of one process (prom-client), plus the Temporal core runtime's own worker
// metrics appended to the same text. Labels hold bounded values only (domains, types, route
// templates, outcomes), never ids or instance names: /metrics is read by the operator, and a
// label must not grow with traffic nor name one tenant's resources.
import crypto from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SYSTEM, transaction, type Db } from '../db/db';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const LONG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];
const ATTEMPT_BUCKETS = [1, 2, 3, 5, 10, 20, 50, 100];

/** The outcome of a finished command, as counted (see the README's metrics table). */
export type CommandOutcome = 'completed' | 'failed' | 'canceled' | 'parked';

export class Metrics {
  readonly registry = new Registry();
  /** Where the Temporal core runtime serves its metrics in this process (loopback), once a worker runtime runs. */
  coreMetricsUrl: string | undefined;

  private readonly on = { registers: [this.registry] };

  readonly commandsSent = new Counter({ name: 'cadenza_commands_sent_total', help: 'Commands accepted (new ids only; resends are not counted)', labelNames: ['domain', 'type'], ...this.on });
  readonly commandsCompleted = new Counter({ name: 'cadenza_commands_completed_total', help: 'Commands that reached COMPLETED (by their handler or an operator)', labelNames: ['domain', 'type'], ...this.on });
  readonly commandsFailed = new Counter({ name: 'cadenza_commands_failed_total', help: 'Commands that reached FAILED (a business-rule error)', labelNames: ['domain', 'type'], ...this.on });
  readonly commandsCanceled = new Counter({ name: 'cadenza_commands_canceled_total', help: 'Commands an operator canceled', labelNames: ['domain', 'type'], ...this.on });
  readonly commandsParked = new Counter({ name: 'cadenza_commands_parked_total', help: 'Commands moved to the troubleshooting queue', labelNames: ['domain', 'type', 'reason'], ...this.on });
  readonly handlerDuration = new Histogram({ name: 'cadenza_command_handler_duration_seconds', help: 'Time one handler attempt took', labelNames: ['domain', 'type', 'outcome'], buckets: DURATION_BUCKETS, ...this.on });
  readonly commandAttempts = new Histogram({ name: 'cadenza_command_attempts', help: 'Handler attempts a command took until it completed, failed or was parked', labelNames: ['domain', 'type'], buckets: ATTEMPT_BUCKETS, ...this.on });
  readonly sendToCompletion = new Histogram({ name: 'cadenza_command_send_to_completion_seconds', help: 'Time from send to COMPLETED', labelNames: ['domain', 'type'], buckets: LONG_BUCKETS, ...this.on });
  readonly troubleshootingDepth = new Gauge({ name: 'cadenza_troubleshooting_queue_depth', help: 'Commands in the troubleshooting queue now, every tenant together (read from PostgreSQL at scrape; the same on every API process)', labelNames: ['domain'], ...this.on });
  readonly runs = new Counter({ name: 'cadenza_runs_total', help: 'Finished flow, execution and workflow (DAG) runs', labelNames: ['kind', 'outcome'], ...this.on });
  readonly dagNodes = new Counter({ name: 'cadenza_workflow_node_executions_total', help: 'Workflow node attempts run by the runDagNode activity', labelNames: ['node_type', 'outcome'], ...this.on });
  readonly targetCalls = new Histogram({ name: 'cadenza_target_call_duration_seconds', help: 'Target call attempts: latency, by target type and answer (HTTP status class, or error)', labelNames: ['target_type', 'status'], buckets: DURATION_BUCKETS, ...this.on });
  readonly dispatcherLag = new Gauge({ name: 'cadenza_event_dispatcher_lag_seconds', help: 'Age of the oldest event the event dispatcher has not passed yet (0 when caught up; read from PostgreSQL at scrape)', ...this.on });
  readonly httpRequests = new Histogram({ name: 'cadenza_http_request_duration_seconds', help: 'HTTP requests by route template, method and status', labelNames: ['method', 'route', 'status'], buckets: DURATION_BUCKETS, ...this.on });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a command that just reached an end (or the troubleshooting queue). */
  commandFinished(c: { domain: string; type: string }, outcome: CommandOutcome, details: { reason?: string; attempts?: number; sentAt?: Date } = {}): void {
    const labels = { domain: c.domain, type: c.type };
    if (outcome === 'completed') this.commandsCompleted.inc(labels);
    if (outcome === 'failed') this.commandsFailed.inc(labels);
    if (outcome === 'canceled') this.commandsCanceled.inc(labels);
    if (outcome === 'parked') this.commandsParked.inc({ ...labels, reason: details.reason ?? 'UNKNOWN' });
    if (details.attempts !== undefined && outcome !== 'canceled') this.commandAttempts.observe(labels, details.attempts);
    if (outcome === 'completed' && details.sentAt !== undefined) this.sendToCompletion.observe(labels, (Date.now() - details.sentAt.getTime()) / 1000);
  }

  /** The troubleshooting-queue gauge reads PostgreSQL at each scrape; a domain that empties shows 0. */
  watchTroubleshootingQueue(db: Db): void {
    const gauge = this.troubleshootingDepth;
    const seen = new Set<string>();
    (gauge as unknown as { collect: () => Promise<void> }).collect = async () => {
      // Every instance's queue: the system path.
      const { rows } = await transaction(db, SYSTEM, (tx) =>
        tx.query<{ domain: string; depth: number }>(`SELECT domain, count(*)::int AS depth FROM commands WHERE status = 'IN_TROUBLESHOOTING_QUEUE' GROUP BY domain`),
      );
      for (const d of seen) gauge.set({ domain: d }, 0);
      for (const r of rows) {
        seen.add(r.domain);
        gauge.set({ domain: r.domain }, r.depth);
      }
    };
  }

  /** The dispatcher-lag gauge reads the age of the first event past the dispatcher's checkpoint at each scrape. */
  watchDispatcherLag(db: Db, checkpoint: string): void {
    const gauge = this.dispatcherLag;
    (gauge as unknown as { collect: () => Promise<void> }).collect = async () => {
      // The checkpoint and every instance's events: the system path.
      const { rows } = await transaction(db, SYSTEM, (tx) =>
        tx.query<{ lag: number | null }>(
          `SELECT extract(epoch FROM now() - e.created_at)::float8 AS lag
             FROM event_checkpoints c
             JOIN LATERAL (SELECT created_at FROM events
                            WHERE (tx_id, position) > (c.tx_id, c.position) AND aggregate_type <> 'run'
                            ORDER BY tx_id, position LIMIT 1) e ON true
            WHERE c.name = $1`,
          [checkpoint],
        ),
      );
      gauge.set(Math.max(0, rows[0]?.lag ?? 0));
    };
  }

  /** Prometheus text: this process's metrics, then the Temporal core runtime's (prefixed temporal_). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return this.coreMetricsUrl === undefined ? own : `${own}\n${await coreMetrics(this.coreMetricsUrl)}`;
  }
}

async function coreMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '# the Temporal core runtime metrics could not be read\n';
  }
}

/** HTTP status class as a label: 2xx, 4xx, 5xx; `error` when no answer came. */
export function statusClass(status: number | null): string {
  return status === null ? 'error' : `${Math.floor(status / 100)}xx`;
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * May this caller scrape? With a metrics token, only with `Bearer <token>`; without one, only on
 * the separate metrics listener (`open`), never on the tenants' API port.
 */
export function scrapeAllowed(token: string | undefined, authorization: string | undefined, open: boolean): 'yes' | 'unauthorized' | 'off' {
  if (token === undefined) return open ? 'yes' : 'off';
  const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (given === undefined) return 'unauthorized';
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b) ? 'yes' : 'unauthorized';
}
