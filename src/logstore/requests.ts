// The API request log (logstore.requests). Rows are buffered and written in one INSERT per
// flush, off the request path; a crash loses at most one flush interval of request logs,
// which are diagnostics, never state.
import { SYSTEM, transaction, type Db } from '../db/db';
import type { Logger } from '../log';

export interface RequestLogEntry {
  instanceId: string | null;
  orgId: string | null;
  keyId: string | null;
  requestId: string;
  correlationId: string | null;
  method: string;
  route: string | null;
  path: string;
  status: number;
  durationMs: number;
}

const COLUMNS = 10;

export class RequestLogWriter {
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
    private readonly maxBuffered = 5000,
  ) {}

  write(entry: RequestLogEntry): void {
    if (this.buffer.length >= this.maxBuffered) return; // shed diagnostics rather than memory
    this.buffer.push(entry);
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.insert(batch));
    return this.flushing;
  }

  private async insert(batch: RequestLogEntry[]): Promise<void> {
    const values: unknown[] = [];
    const tuples = batch.map((e, i) => {
      values.push(e.instanceId, e.orgId, e.keyId, e.requestId, e.correlationId, e.method, e.route, e.path, e.status, e.durationMs);
      return `(${Array.from({ length: COLUMNS }, (_, j) => `$${i * COLUMNS + j + 1}`).join(', ')})`;
    });
    try {
      // One insert for every tenant's requests: the system path.
      await transaction(this.db, SYSTEM, (tx) =>
        tx.query(
          `INSERT INTO logstore.requests (instance_id, org_id, key_id, request_id, correlation_id, method, route, path, status, duration_ms)
           VALUES ${tuples.join(', ')}`,
          values,
        ),
      );
    } catch (err) {
      this.log.warn({ err, rows: batch.length }, 'could not write request logs');
    }
  }
}
