// The per-instance API request rate: a token bucket of `burst` tokens refilled at
// `requestsPerSecond`, kept in PostgreSQL (instance_rate_buckets) so every API process takes from
// the same bucket. Only rate-limited instances pay for it: one short transaction per request.
// A refusal is logged to logstore.quota_logs (unit api_requests, allowed = false).
import type { InstanceRequestLimits } from '../context';
import { transaction, type Db } from '../db/db';
import { CadenzaError } from '../errors';

export type RateLimit = NonNullable<InstanceRequestLimits['rateLimit']>;

/** The rate limit of an instance row (both columns set, or none). */
export function rateLimitOf(row: { rate_limit_per_second: number | null; rate_limit_burst: number | null }): RateLimit | null {
  return row.rate_limit_per_second === null || row.rate_limit_burst === null ? null : { requestsPerSecond: row.rate_limit_per_second, burst: row.rate_limit_burst };
}

/** 429 with Retry-After: the instance sent more requests than its rate limit allows. */
export class RateLimitedError extends CadenzaError {
  constructor(readonly retryAfterSeconds: number, limit: RateLimit) {
    super('rate_limited', `This instance may send ${limit.requestsPerSecond} requests per second (bursts of ${limit.burst}); resend after Retry-After seconds`, [], {
      retryAfterSeconds,
    });
  }
}

/** Takes one token for a request of the instance, or throws RateLimitedError (logged) when there is none. */
export async function takeRequestToken(db: Db, tenant: { instanceId: string; orgId: string | null }, limit: RateLimit, route: string): Promise<void> {
  const retryAfterSeconds = await transaction(db, tenant, async (tx) => {
    // A new bucket starts full; the refill is computed at the moment of the take.
    await tx.query('INSERT INTO instance_rate_buckets (instance_id, tokens, refilled_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT DO NOTHING', [
      tenant.instanceId,
      limit.burst,
    ]);
    const { rows } = await tx.query<{ available: number }>(
      `WITH current AS (
         SELECT LEAST($3::float8, tokens + EXTRACT(EPOCH FROM clock_timestamp() - refilled_at)::float8 * $2) AS available
           FROM instance_rate_buckets WHERE instance_id = $1 FOR UPDATE
       )
       UPDATE instance_rate_buckets b
          SET tokens = CASE WHEN current.available >= 1 THEN current.available - 1 ELSE current.available END, refilled_at = clock_timestamp()
         FROM current WHERE b.instance_id = $1
       RETURNING current.available`,
      [tenant.instanceId, limit.requestsPerSecond, limit.burst],
    );
    const available = rows[0]!.available;
    if (available >= 1) return undefined;
    const reason = `${route}: over the rate limit of ${limit.requestsPerSecond} requests per second (burst ${limit.burst})`;
    await tx.query(`INSERT INTO logstore.quota_logs (instance_id, org_id, unit, amount, allowed, reason) VALUES ($1, $2, 'api_requests', 0, false, $3)`, [
      tenant.instanceId,
      tenant.orgId,
      reason,
    ]);
    return Math.max(1, Math.ceil((1 - available) / limit.requestsPerSecond));
  });
  if (retryAfterSeconds !== undefined) throw new RateLimitedError(retryAfterSeconds, limit);
}
