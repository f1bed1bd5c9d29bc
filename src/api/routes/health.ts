import type { AppCtx } from '../../context';
import { pendingMigrations } from '../../db/migrate';
import { publicRoute } from '../route';
import { z } from '../schema';

const Health = z.object({ status: z.string() }).openapi('Health');
const Ready = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z
      .object({ postgres: z.enum(['ok', 'unavailable']), migrations: z.enum(['ok', 'pending', 'unavailable']), temporal: z.enum(['ok', 'unavailable']) })
      .openapi({ description: 'One state per dependency; why one is not ok is logged, never answered.' }),
  })
  .openapi('Readiness');

/** A dependency's state for anonymous callers; the reason goes to the log only. */
async function check<T extends string>(ctx: AppCtx, name: string, fn: () => Promise<T>): Promise<T | 'unavailable'> {
  try {
    return await fn();
  } catch (err) {
    ctx.log.warn({ err, dependency: name }, 'readiness check failed');
    return 'unavailable';
  }
}

export async function readiness(ctx: AppCtx) {
  const [postgres, migrations, temporal] = await Promise.all([
    check(ctx, 'postgres', async () => {
      await ctx.db.query('SELECT 1');
      return 'ok' as const;
    }),
    check(ctx, 'migrations', async () => {
      const pending = await pendingMigrations(ctx.db);
      if (pending.length === 0) return 'ok' as const;
      ctx.log.warn({ pending }, 'migrations are pending: run `cadenza migrate`');
      return 'pending' as const;
    }),
    check(ctx, 'temporal', async () => {
      const { connection } = ctx.temporal.client;
      await connection.withDeadline(Date.now() + 3000, () =>
        connection.workflowService.describeNamespace({ namespace: ctx.temporal.namespace }),
      );
      return 'ok' as const;
    }),
  ]);
  const ready = postgres === 'ok' && migrations === 'ok' && temporal === 'ok';
  return { status: ready ? ('ready' as const) : ('not_ready' as const), checks: { postgres, migrations, temporal } };
}

export const healthRoutes = [
  publicRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    tags: ['health'],
    responses: { 200: { description: 'Up', schema: Health } },
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
  publicRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: PostgreSQL and Temporal are reachable and migrations are applied',
    tags: ['health'],
    responses: { 200: { description: 'Ready', schema: Ready }, 503: { description: 'Not ready', schema: Ready } },
    handler: async (ctx) => {
      const body = await readiness(ctx);
      return { status: body.status === 'ready' ? 200 : 503, body };
    },
  }),
];
