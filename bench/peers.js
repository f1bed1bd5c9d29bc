// The job queues users pick instead of Cadenza, each on the bench's PostgreSQL and tuned for
// throughput as its own documentation recommends. One operation: enqueue a job, timed until the
// handler runs. Their workers run in the bench process (CPU counted as the load generator's).
'use strict';
const crypto = require('node:crypto');

/** Resolves the operation whose job the handler just ran. */
function handlerWaiters() {
  const pending = new Map();
  return {
    wait: (id, enqueue) =>
      new Promise((resolve, reject) => {
        pending.set(id, resolve);
        enqueue().catch((err) => {
          pending.delete(id);
          reject(err);
        });
      }),
    ran(id) {
      const resolve = pending.get(id);
      pending.delete(id);
      resolve?.();
    },
  };
}

/**
 * pg-boss 10.4.2. Its docs (API, Workers): each `work()` call adds a polling worker that fetches
 * `batchSize` jobs at a time, every `pollingIntervalSeconds` (at least 0.5 s); throughput comes
 * from more workers and larger batches. We run 4 `work()` loops of batches of 200 at the 0.5 s
 * minimum (at most 1,600 jobs/s), and a pool of 20 connections for them and the sends.
 */
const PG_BOSS = { workers: 4, batchSize: 200, pollingIntervalSeconds: 0.5, poolMax: 20 };

function pgBossScenario(databaseUrl) {
  const PgBoss = require('pg-boss');
  const handlers = handlerWaiters();
  let boss;
  return {
    processes: ['loadgen'],
    inFlight: 1000,
    settings: PG_BOSS,
    async setup() {
      boss = new PgBoss({ connectionString: databaseUrl, schema: 'pgboss_bench', max: PG_BOSS.poolMax });
      boss.on('error', () => undefined);
      await boss.start();
      await boss.createQueue('bench');
      for (let i = 0; i < PG_BOSS.workers; i++) {
        await boss.work('bench', { batchSize: PG_BOSS.batchSize, pollingIntervalSeconds: PG_BOSS.pollingIntervalSeconds }, async (jobs) => {
          for (const job of jobs) handlers.ran(job.data.id);
        });
      }
    },
    fire() {
      const id = crypto.randomUUID();
      return handlers.wait(id, () => boss.send('bench', { id }));
    },
    teardown: () => boss?.stop({ graceful: false, wait: true }),
  };
}

/**
 * graphile-worker 0.17.3 (LISTEN/NOTIFY on every new job). Its docs (Performance) reach their
 * figures with `concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }` and job
 * completions batched with `completeJobBatchDelay: 0, failJobBatchDelay: 0`: we use exactly that.
 */
const GRAPHILE = { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 };

function graphileWorkerScenario(databaseUrl) {
  const { run, makeWorkerUtils } = require('graphile-worker');
  const handlers = handlerWaiters();
  let runner;
  let utils;
  const silent = () => () => undefined;
  return {
    processes: ['loadgen'],
    inFlight: 1000,
    settings: GRAPHILE,
    async setup() {
      const { Logger } = require('graphile-worker');
      const logger = new Logger(silent);
      utils = await makeWorkerUtils({ connectionString: databaseUrl, logger });
      await utils.migrate();
      runner = await run({
        preset: { worker: { connectionString: databaseUrl, ...GRAPHILE } },
        logger,
        noHandleSignals: true,
        taskList: { bench: async (payload) => handlers.ran(payload.id) },
      });
    },
    fire() {
      const id = crypto.randomUUID();
      return handlers.wait(id, () => utils.addJob('bench', { id }));
    },
    async teardown() {
      await runner?.stop();
      await utils?.release();
    },
  };
}

module.exports = { pgBossScenario, graphileWorkerScenario, PG_BOSS, GRAPHILE };
