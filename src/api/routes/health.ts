import type { AppCtx } from '../../context';
import { pendingMigrations } from '../../db/migrate';
import { publicRoute } from '../route';
import { z } from '../schema';

const Health = z.object({ status: z.string() }).openapi('Health');
const DependencyStatus = z.enum(['ok', 'down']);
const Ready = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      postgres: DependencyStatus,
      temporal: DependencyStatus,
      migrations: z.enum(['ok', 'pending', 'unknown']).openapi({ description: 'unknown while PostgreSQL is down' }),
    }),
  })
  .openapi('Readiness', { description: 'One status per dependency; the details are in the server log, never in the answer.' });

type Checks = z.infer<typeof Ready>['checks'];

/** Runs one check; a failure is logged with its detail and answered only by name. */
async function check<T extends string>(ctx: AppCtx, dependency: string, fn: () => Promise<T>, failed: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    ctx.log.warn({ err, dependency }, 'readiness check failed');
    return failed;
  }
}

export async function readiness(ctx: AppCtx): Promise<z.infer<typeof Ready>> {
  const [postgres, temporal] = await Promise.all([
    check(ctx, 'postgres', async () => (await ctx.db.query('SELECT 1'), 'ok' as const), 'down'),
    check(
      ctx,
      'temporal',
      async () => {
        const { connection } = ctx.temporal.client;
        await connection.withDeadline(Date.now() + 3000, () => connection.workflowService.describeNamespace({ namespace: ctx.temporal.namespace }));
        return 'ok' as const;
      },
      'down',
    ),
  ]);
  const migrations: Checks['migrations'] =
    postgres === 'down'
      ? 'unknown'
      : await check(
          ctx,
          'migrations',
          async () => {
            const pending = await pendingMigrations(ctx.db);
            if (pending.length === 0) return 'ok' as const;
            ctx.log.warn({ pending }, 'migrations are pending: run `cadenza migrate`');
            return 'pending' as const;
          },
          'unknown',
        );
  const checks: Checks = { postgres, temporal, migrations };
  const ready = postgres === 'ok' && temporal === 'ok' && migrations === 'ok';
  return { status: ready ? 'ready' : 'not_ready', checks };
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
