import type { AppCtx } from '../../context';
import { pendingMigrations } from '../../db/migrate';
import { publicRoute } from '../route';
import { z } from '../schema';

const Health = z.object({ status: z.string() }).openapi('Health');
const Ready = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ postgres: z.string(), migrations: z.string(), temporal: z.string() }),
  })
  .openapi('Readiness');

async function check(fn: () => Promise<string>): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await fn() };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function readiness(ctx: AppCtx) {
  const [postgres, migrations, temporal] = await Promise.all([
    check(async () => {
      await ctx.db.query('SELECT 1');
      return 'ok';
    }),
    check(async () => {
      const pending = await pendingMigrations(ctx.db);
      if (pending.length > 0) throw new Error(`pending: ${pending.join(', ')} (run \`cadenza migrate\`)`);
      return 'ok';
    }),
    check(async () => {
      const { connection } = ctx.temporal.client;
      await connection.withDeadline(Date.now() + 3000, () =>
        connection.workflowService.describeNamespace({ namespace: ctx.temporal.namespace }),
      );
      return 'ok';
    }),
  ]);
  const ready = postgres.ok && migrations.ok && temporal.ok;
  return {
    status: ready ? ('ready' as const) : ('not_ready' as const),
    checks: { postgres: postgres.detail, migrations: migrations.detail, temporal: temporal.detail },
  };
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
