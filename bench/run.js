#!/usr/bin/env node
// `make bench [BENCH_ARGS=--quick]`: Cadenza against bare Temporal on the same server, in the
// same run. Starts PostgreSQL and the Temporal dev server as `make start` does (same SQLite
// settings), or with --server the self-hosted Temporal server on PostgreSQL as `make cluster`
// runs it, or attaches to DATABASE_URL + TEMPORAL_ADDRESS; runs the API, a Cadenza worker and a
// bare baseline worker as separate processes; then each scenario closed-loop (peak throughput)
// and open-loop at fixed rates derived from the baseline's peak (latency from the scheduled send
// time). Writes bench/results/<timestamp>.{json,md,svg}. See bench/README.md.
'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const dist = (p) => require(path.join(ROOT, 'dist', p));
const { Client, Connection } = require('@temporalio/client');
const { pgBossScenario, graphileWorkerScenario } = require('./peers');

const quick = process.argv.includes('--quick');
const argValue = (flag) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
// --only a,b runs just those scenarios (after the baseline); --profile writes CPU profiles of the Cadenza process(es).
const only = argValue('--only')?.split(',');
const profileDir = process.argv.includes('--profile') ? path.join(os.tmpdir(), 'cadenza-bench-profiles') : undefined;
const profileArgs = (name) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, name)}`] : []);
// --ab <scenario> [--rounds N]: alternating closed loops of the scenario and its baseline, N rounds
// (default 5), printing each round's ratio, the median, and CPU per 1,000 by process; for trying
// a speed change on a noisy machine. Writes no results files.
const abScenario = argValue('--ab');
const abRounds = Number(argValue('--rounds') ?? 5);
// --statements (with --ab): preload pg_stat_statements and print the SQL statements per operation.
const statements = process.argv.includes('--statements');
// Cadenza runs as `make start` runs it: one `cadenza start` process (API and worker sharing one
// Temporal connection), attached to this run's PostgreSQL and dev server. --split runs
// `cadenza api` and `cadenza worker` as two processes instead (CPU and RSS per role).
const split = process.argv.includes('--split');
// --server: Temporal as production runs it (src/cluster: the self-hosted server v1.29.1 with
// PostgreSQL persistence and visibility, on this run's PostgreSQL) instead of the dev server.
const selfHosted = process.argv.includes('--server');
const CADENZA_PROCESSES = split ? ['api', 'worker'] : ['cadenza'];
const PLAN = quick
  ? { closedSeconds: 4, openSeconds: 4, rateFractions: [0.5], concurrency: 32, queryRuns: 40 }
  : { closedSeconds: 20, openSeconds: 20, rateFractions: [0.25, 0.5, 0.75], concurrency: 64, queryRuns: 300 };
// --seed N: how many commands (each with its three events) the queries run on; 1,000,000 in a full run.
const SEEDED_COMMANDS = Number(argValue('--seed') ?? (quick ? 100_000 : 1_000_000));
/** The audit read: one command with this many events, read whole through the API. */
const AUDIT_EVENTS = 1000;
const CLK_TCK = 100;

const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const { freePort, freePortRange } = dist('embedded/process.js');

function spawnProcess(name, args, env, readyText) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out = (out + c).slice(-20000)));
  child.stderr.on('data', (c) => (out = (out + c).slice(-20000)));
  const exited = new Promise((r) => child.once('exit', r));
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes(readyText)) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${name} exited:\n${out}`));
      }
    }, 50);
  });
  return { name, child, ready, stop: async () => { if (child.exitCode === null) child.kill('SIGTERM'); await exited; } };
}

// ---- resource sampling ------------------------------------------------------------------------

function procStats(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
    return { cpu, rss };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

/**
 * PostgreSQL runs a backend process per connection: the postmaster's own CPU, its reaped
 * children's (cutime/cstime), and its live children's. RSS is the postmaster's only.
 */
function treeStats(pid) {
  try {
    const fieldsOf = (p) => {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    };
    const own = fieldsOf(pid);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = fieldsOf(entry);
        if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // the process ended while we looked
      }
    }
    return { cpu: ticks / CLK_TCK, rss: procStats(pid).rss };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

const statsOf = (name, pid) => (name === 'postgres' ? treeStats(pid) : procStats(pid));

function startSampling(pids) {
  const peak = Object.fromEntries(Object.keys(pids).map((k) => [k, 0]));
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, statsOf(k, pid).cpu]));
  const timer = setInterval(() => {
    for (const [k, pid] of Object.entries(pids)) peak[k] = Math.max(peak[k], procStats(pid).rss);
  }, 250);
  return () => {
    clearInterval(timer);
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, statsOf(k, pid).cpu - cpu0[k]]));
    return { peakRssMb: Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, +(v / 1048576).toFixed(1)])), cpuSeconds: cpu };
  };
}

// ---- load generation --------------------------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return +sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
}

function summarize(latencies, completed, errors, seconds) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    completed,
    errors,
    throughput: +(completed / seconds).toFixed(1),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
}

/** Fixed concurrency, each loop waiting for its result: the peak throughput. */
async function closedLoop(fire, concurrency, seconds) {
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await fire();
          latencies.push(performance.now() - t);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarize(latencies, latencies.length, errors, (performance.now() - start) / 1000);
}

/**
 * The closed-loop peak. Baselines and peers (inFlight set) run at that many in flight and at
 * twice as many: when doubling no longer raises throughput, the system, not the load, is the limit.
 */
async function peakLoop(name, sc) {
  if (sc.inFlight === undefined) {
    log(`${name}: closed loop, ${PLAN.concurrency} in flight, ${PLAN.closedSeconds} s`);
    return { closed: await closedLoop(sc.fire, PLAN.concurrency, PLAN.closedSeconds), saturation: null };
  }
  const saturation = [];
  for (const inFlight of [sc.inFlight, sc.inFlight * 2]) {
    log(`${name}: closed loop, ${inFlight} in flight, ${PLAN.closedSeconds} s`);
    saturation.push({ inFlight, ...(await closedLoop(sc.fire, inFlight, PLAN.closedSeconds)) });
  }
  const best = saturation.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  return { closed: best, saturation };
}

/** A fixed arrival rate; latency counts from the scheduled send time, so a backlog shows. */
async function openLoop(fire, rate, seconds) {
  const latencies = [];
  let errors = 0;
  const total = Math.max(1, Math.round(rate * seconds));
  const start = performance.now();
  const runs = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    runs.push(
      fire().then(
        () => latencies.push(performance.now() - scheduled),
        () => (errors += 1),
      ),
    );
  }
  await Promise.all(runs);
  return { offered: rate, ...summarize(latencies, latencies.length, errors, (performance.now() - start) / 1000) };
}

// ---- services ---------------------------------------------------------------------------------

async function startServices(tmp) {
  const attach = process.env.DATABASE_URL && process.env.TEMPORAL_ADDRESS;
  if (attach) {
    log('attaching to DATABASE_URL (DATABASE_OWNER_URL) and TEMPORAL_ADDRESS');
    const ownerUrl = process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL;
    return { databaseUrl: process.env.DATABASE_URL, ownerUrl, temporalAddress: process.env.TEMPORAL_ADDRESS, temporalPid: undefined, stop: async () => {} };
  }
  const { startEmbeddedPostgres } = dist('embedded/postgres.js');
  const { startDevServer } = dist('embedded/temporal-server.js');
  const { findTemporalCli } = dist('temporal/binary.js');
  const startPostgres = async () => startEmbeddedPostgres(tmp, await freePort(), 'cadenza_bench', statements ? ['shared_preload_libraries=pg_stat_statements'] : []);
  let pg;
  let temporal;
  if (selfHosted) {
    pg = await startPostgres();
    temporal = await startSelfHostedServer(tmp, pg.ownerUrl);
  } else {
    [pg, temporal] = await Promise.all([
      startPostgres(),
      freePort().then((port) => startDevServer({ binary: findTemporalCli(), dbFile: path.join(tmp, 'temporal.db'), port, uiPort: undefined, namespace: 'default' })),
    ]);
  }
  return {
    databaseUrl: pg.url,
    ownerUrl: pg.ownerUrl,
    temporalAddress: temporal.address,
    temporalPid: temporal.child.process.pid,
    postgresPid: pg.child.process.pid,
    stop: async () => {
      await temporal.stop();
      await pg.stop();
    },
  };
}

/** The self-hosted server, its two databases beside Cadenza's on the same PostgreSQL (as its superuser). */
async function startSelfHostedServer(tmp, pgUrl) {
  const { ensureServerTools, setupServerDatabases, startTemporalServer } = dist('cluster/temporal-server.js');
  const u = new URL(pgUrl);
  const db = { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  const toolsDir = ensureServerTools();
  await setupServerDatabases(toolsDir, db);
  const port = await freePortRange(9);
  return startTemporalServer({ toolsDir, port, db, tlsDir: undefined, namespace: 'default', logFile: path.join(tmp, 'temporal-server.log') });
}

/** The bench's own connection is the owner's: it seeds tables directly. */
async function bootstrapTenant(services) {
  const { createDb, transaction, SYSTEM } = dist('db/db.js');
  const { migrate } = dist('db/migrate.js');
  const { createInstance } = dist('tenancy/instances.js');
  const { insertKey } = dist('tenancy/keys.js');
  await migrate(services.ownerUrl, undefined, services.databaseUrl);
  const db = createDb(services.ownerUrl, 4, 'cadenza-bench');
  const instanceId = `bench-${crypto.randomBytes(3).toString('hex')}`;
  await createInstance(db, { id: instanceId, name: 'bench' });
  const { secret } = await transaction(db, SYSTEM, (tx) => insertKey(tx, instanceId, 'bench', { name: 'bench', role: 'admin', orgId: null }));
  return { db, instanceId, apiKey: secret };
}

async function seedCommands(db, instanceId, n) {
  // Statuses and domains spread as a busy system's would be: most completed, a few in the TSQ.
  // Each command has the three events a completed one writes (sent, attempt started, completed),
  // inserted in chunks so no single statement holds millions of rows.
  const CHUNK = 200_000;
  for (let from = 1; from <= n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK - 1);
    await db.query(
      `INSERT INTO commands (instance_id, domain, command_id, type, status, correlation_id, payload, request_hash, policy, max_attempts,
                             attempts, total_attempts, tsq_reason, created_at, updated_at, dispatched_at)
       SELECT $1, 'd' || (i % 10), 'seed-' || i, 'Seeded',
              CASE WHEN i % 20 = 0 THEN 'IN_TROUBLESHOOTING_QUEUE' WHEN i % 20 = 1 THEN 'FAILED' ELSE 'COMPLETED' END,
              'corr-' || (i % 5000), jsonb_build_object('i', i), 'seed', '{}'::jsonb, 3, 1, 1,
              CASE WHEN i % 20 = 0 THEN 'EXHAUSTED' END,
              now() - make_interval(secs => i), now() - make_interval(secs => i), now()
         FROM generate_series($2::int, $3::int) AS i`,
      [instanceId, from, to],
    );
    await db.query(
      `INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, type, payload, creator, created_at, event_id)
       SELECT $1, 'command', 'd' || (i % 10) || '/seed-' || i, s.seq, s.type, jsonb_build_object('i', i), 'seed',
              now() - make_interval(secs => i), 'seed:' || i || ':' || s.seq
         FROM generate_series($2::int, $3::int) AS i,
              (VALUES (1, 'command.sent'), (2, 'command.attempt_started'), (3, 'command.completed')) AS s (seq, type)`,
      [instanceId, from, to],
    );
  }
  // One command with a long audit trail, for the audit read.
  await db.query(
    `INSERT INTO commands (instance_id, domain, command_id, type, status, correlation_id, payload, request_hash, policy, max_attempts, attempts, total_attempts, dispatched_at)
     VALUES ($1, 'd0', 'audit-long', 'Seeded', 'COMPLETED', 'corr-audit', '{}', 'seed', '{}', $2, $2, $2, now())`,
    [instanceId, AUDIT_EVENTS],
  );
  await db.query(
    `INSERT INTO events (instance_id, aggregate_type, aggregate_id, sequence, type, payload, creator, event_id)
     SELECT $1, 'command', 'd0/audit-long', i, 'command.attempt_failed', jsonb_build_object('attempt', i, 'error', 'transient failure ' || i), 'seed', 'seed:audit-long:' || i
       FROM generate_series(1, $2::int) AS i`,
    [instanceId, AUDIT_EVENTS],
  );
  // As autovacuum would have left tables that grew over time: statistics, visibility map, hint bits.
  await db.query('VACUUM (ANALYZE) commands');
  await db.query('VACUUM (ANALYZE) events');
}

// ---- scenarios --------------------------------------------------------------------------------

/** A loopback receiver for webhook targets: resolves a waiter once an event's n-th call arrives. */
async function startWebhookReceiver() {
  const http = require('node:http');
  const seen = new Map();
  const waiters = new Map();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const id = JSON.parse(raw || '{}').payload?.id;
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const w = waiters.get(id);
      if (w && n >= w.calls) {
        waiters.delete(id);
        seen.delete(id);
        w.resolve();
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    waitFor: (id, calls) => new Promise((resolve) => waiters.set(id, { calls, resolve })),
    close: () => new Promise((r) => server.close(r)),
  };
}

function makeScenarios({ temporal, apiUrl, apiKey, instanceId, receiver, peersUrl, baselineUrl }) {
  const { CadenzaClient } = dist('client/index.js');
  const library = new CadenzaClient({ url: apiUrl, apiKey });
  const resultOf = (domain, commandId) => temporal.workflow.getHandle(`command:${instanceId}:${domain}:${commandId}`).result();
  const post = async (body) => {
    const res = await fetch(`${apiUrl}/v1/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (res.status !== 202) throw new Error(`send answered ${res.status}`);
  };
  const api = async (method, urlPath, body) => {
    const res = await fetch(apiUrl + urlPath, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  let dagId;
  return {
    baseline: {
      processes: ['baselineWorker'],
      inFlight: PLAN.concurrency,
      fire: () => temporal.workflow.execute('baselineWorkflow', { taskQueue: 'bench-baseline', workflowId: `baseline-${crypto.randomUUID()}` }),
    },
    'baseline-local': {
      processes: ['baselineWorker'],
      inFlight: PLAN.concurrency,
      fire: async () => {
        const res = await fetch(`${baselineUrl}/start-local`, { method: 'POST' });
        if (res.status !== 202) throw new Error(`baseline start answered ${res.status}`);
        const { workflowId } = await res.json();
        await temporal.workflow.getHandle(workflowId).result();
      },
    },
    'commands-http': {
      processes: CADENZA_PROCESSES,
      fire: async () => {
        const commandId = crypto.randomUUID();
        await post({ domain: 'demo', type: 'noop', commandId, payload: {} });
        await resultOf('demo', commandId);
      },
    },
    'commands-inline': {
      processes: CADENZA_PROCESSES,
      fire: async () => {
        const commandId = crypto.randomUUID();
        await post({ domain: 'demo', type: 'noop', commandId, payload: {}, execution: 'inline' });
        await resultOf('demo', commandId);
      },
    },
    'commands-library': {
      processes: CADENZA_PROCESSES,
      fire: async () => {
        const commandId = crypto.randomUUID();
        await library.sendCommand({ domain: 'demo', type: 'noop', commandId, payload: {} });
        await resultOf('demo', commandId);
      },
    },
    'commands-retry': {
      processes: CADENZA_PROCESSES,
      fire: async () => {
        const commandId = crypto.randomUUID();
        await post({ domain: 'demo', type: 'flaky', commandId, payload: { failTimes: 1 }, backoffMs: [0] });
        await resultOf('demo', commandId);
      },
    },
    'baseline-3': {
      processes: ['baselineWorker'],
      fire: () => temporal.workflow.execute('baseline3Workflow', { taskQueue: 'bench-baseline', workflowId: `baseline3-${crypto.randomUUID()}` }),
    },
    'flow-3-actions': {
      processes: CADENZA_PROCESSES,
      baseline: 'baseline-3',
      setup: async () => {
        const ids = [];
        for (const name of ['first', 'second', 'third']) {
          const action = await api('POST', '/v1/instance/actions', { name, script: `function ${name}(ctx, api) { api.setContext('${name}', true); }` });
          ids.push(action.id);
        }
        await api('PUT', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation', { actionIds: ids });
      },
      fire: () => api('POST', '/v1/instance/flows/customiseToken/triggers/preAccessTokenCreation/run', { context: { user: 'u1' } }),
    },
    'event-3-webhooks': {
      processes: CADENZA_PROCESSES,
      baseline: 'baseline-3',
      setup: async () => {
        const targets = [];
        for (const n of [1, 2, 3]) targets.push((await api('POST', '/v1/targets', { name: `hook-${n}`, type: 'webhook', endpoint: `${receiver.url}/hook${n}` })).id);
        await api('PUT', '/v1/executions', { condition: 'event/bench.tick', targets: targets.map((target) => ({ target })) });
      },
      fire: async () => {
        const id = crypto.randomUUID();
        const delivered = receiver.waitFor(id, 3);
        await api('POST', '/v1/events', { type: 'bench.tick', aggregateType: 'bench', aggregateId: id, payload: { id } });
        await delivered;
      },
    },
    'baseline-diamond': {
      processes: ['baselineWorker'],
      fire: () => temporal.workflow.execute('baselineDiamondWorkflow', { taskQueue: 'bench-baseline', workflowId: `diamond-${crypto.randomUUID()}` }),
    },
    'dag-diamond': {
      processes: CADENZA_PROCESSES,
      baseline: 'baseline-diamond',
      setup: async () => {
        dagId = (await api('POST', '/v1/workflows', { definition: diamondDefinition() })).id;
      },
      fire: async () => {
        const run = await api('POST', `/v1/workflows/${dagId}/execute`, { input: { n: 1 } });
        await temporal.workflow.getHandle(run.temporalWorkflowId).result();
      },
    },
    'pg-boss': pgBossScenario(peersUrl),
    'graphile-worker': graphileWorkerScenario(peersUrl),
  };
}

/** Start → A → (B, C) → D → E → (F, G) → H: ten nodes, two diamonds, in n8n's JSON. */
function diamondDefinition() {
  const node = (name, type, x, extra = {}) => ({ id: name, name, type, typeVersion: type.endsWith('manualTrigger') ? 1 : type.endsWith('merge') ? 3 : 1, position: [x, 0], parameters: {}, ...extra });
  const nodes = [
    node('Start', 'n8n-nodes-base.manualTrigger', 0),
    ...['A', 'B', 'C', 'E', 'F', 'G'].map((n, i) => node(n, 'n8n-nodes-base.noOp', 200 * (i + 1))),
    node('D', 'n8n-nodes-base.merge', 800, { parameters: { mode: 'append' } }),
    node('H', 'n8n-nodes-base.merge', 1600, { parameters: { mode: 'append' } }),
    node('I', 'n8n-nodes-base.noOp', 1800),
  ];
  const to = (...targets) => ({ main: [targets.map(([n, index = 0]) => ({ node: n, type: 'main', index }))] });
  const connections = {
    Start: to(['A']),
    A: to(['B'], ['C']),
    B: to(['D', 0]),
    C: to(['D', 1]),
    D: to(['E']),
    E: to(['F'], ['G']),
    F: to(['H', 0]),
    G: to(['H', 1]),
    H: to(['I']),
  };
  // Branches run side by side, as in the hand-written baseline (n8n itself runs one node at a time).
  return { name: 'bench diamond', nodes, connections, settings: { maxParallel: 10 } };
}

/**
 * Waits (at most 60 s) until every process is nearly idle: the queries measure reads on a quiet
 * system, not against the tail of the scenarios before them (the server's visibility writes, the
 * seeding's checkpoint).
 */
async function settle(pids) {
  const began = Date.now();
  while (Date.now() - began < 60_000) {
    const stop = startSampling(pids);
    await new Promise((r) => setTimeout(r, 1000));
    const busy = Object.entries(stop().cpuSeconds).filter(([, s]) => s > 0.05);
    if (busy.length === 0) break;
  }
  log(`queries: settled after ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

/** One page of a paged route, or with `allPages` every page, as one operation (a whole audit trail). */
async function read(apiUrl, apiKey, url, allPages) {
  let cursor = null;
  do {
    const res = await fetch(apiUrl + url + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''), { headers: { authorization: `Bearer ${apiKey}` } });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    cursor = (await res.json()).nextCursor;
  } while (allPages && cursor);
}

async function runQueries(apiUrl, apiKey, runs) {
  const kinds = {
    'commands?status=COMPLETED&domain=d3': { url: '/v1/commands?status=COMPLETED&domain=d3&limit=50' },
    'commands?status=IN_TROUBLESHOOTING_QUEUE': { url: '/v1/commands?status=IN_TROUBLESHOOTING_QUEUE&limit=50' },
    'troubleshooting?domain=d3': { url: '/v1/troubleshooting?domain=d3&limit=50' },
    'commands?correlationId=corr-42': { url: '/v1/commands?correlationId=corr-42&limit=50' },
    [`commands/d0/audit-long/audit (all ${AUDIT_EVENTS} events, pages of 500)`]: { url: '/v1/commands/d0/audit-long/audit?limit=500', allPages: true },
  };
  const out = {};
  for (const [name, { url, allPages }] of Object.entries(kinds)) {
    // Not counted: the first requests of a kind warm the API's and PostgreSQL's caches.
    for (let i = 0; i < 5; i++) await read(apiUrl, apiKey, url, allPages);
    const latencies = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await read(apiUrl, apiKey, url, allPages);
      latencies.push(performance.now() - t);
    }
    const sorted = latencies.sort((a, b) => a - b);
    out[name] = { runs, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
  return out;
}

// ---- reports ----------------------------------------------------------------------------------

/** The dev server's and PostgreSQL's CPU seconds per 1,000 operations of a scenario, from its JSON. */
function serverCpuPer1000(s) {
  const completed = s.closed.completed + s.open.reduce((n, o) => n + o.completed, 0);
  const { temporal, postgres } = s.resources.cpuSeconds;
  if (temporal === undefined || postgres === undefined || completed === 0) return 'n/a';
  return `${((temporal / completed) * 1000).toFixed(1)} + ${((postgres / completed) * 1000).toFixed(1)}`;
}

function temporalLabel(result) {
  return result.temporalServer === 'dev server' ? `Temporal dev server with SQLite (${result.sqlitePragmas.join(', ')})` : `Temporal server ${result.temporalServer}`;
}

function markdown(result) {
  const lines = [
    `# Benchmark ${result.startedAt}${result.quick ? ' (quick)' : ''}`,
    '',
    `${result.machine.cpus} CPUs, Node ${result.machine.node}, ${temporalLabel(result)}. Ratios are against the baseline measured in this run.`,
    ...(result.loadAverage ? ['', `Load average (1, 5, 15 min): ${result.loadAverage.start.join(', ')} at the start, ${result.loadAverage.end?.join(', ')} after the scenarios.`] : []),
    '',
    '| scenario | peak throughput/s (closed loop) | ratio to its baseline | ratio to baseline-local | open-loop rate/s | p50 ms | p95 ms | p99 ms | p50 over baseline | p99 over baseline | peak RSS MB | CPU s / 1000 | server CPU s / 1000 (Temporal + PostgreSQL) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, s] of Object.entries(result.scenarios)) {
    const half = s.open.find((o) => o.fraction === 0.5) ?? s.open[0];
    const rss = Object.entries(s.resources.peakRssMb).map(([k, v]) => `${k} ${v}`).join(', ') || 'n/a';
    lines.push(
      `| ${name} | ${s.closed.throughput} | ${s.ratio.throughput}${s.baseline !== 'baseline' ? ` (vs ${s.baseline})` : ''} | ${s.ratio.toLocalBaseline ?? ''} | ${half.offered} | ${half.p50} | ${half.p95} | ${half.p99} | ${s.ratio.p50OverBaselineMs ?? ''} | ${s.ratio.p99OverBaselineMs ?? ''} | ${rss} | ${s.resources.cpuPer1000 ?? 'n/a'} | ${serverCpuPer1000(s)} |`,
    );
  }
  const saturated = Object.entries(result.scenarios).filter(([, s]) => s.saturation);
  if (saturated.length > 0) {
    lines.push('', '## Saturation (closed loop at two in-flight levels)', '', '| scenario | in flight | throughput/s | p50 ms | p99 ms |', '|---|---|---|---|---|');
    for (const [name, s] of saturated) for (const l of s.saturation) lines.push(`| ${name} | ${l.inFlight} | ${l.throughput} | ${l.p50} | ${l.p99} |`);
  }
  lines.push('', `## Queries on ${result.seededCommands.toLocaleString('en')} stored commands (and ${(result.seededCommands * 3).toLocaleString('en')} events)`, '', '| query | runs | p50 ms | p99 ms |', '|---|---|---|---|');
  for (const [name, q] of Object.entries(result.queries)) lines.push(`| GET /v1/${name} | ${q.runs} | ${q.p50} | ${q.p99} |`);
  lines.push('', `Chart: ${path.basename(result.files.svg)}`);
  return lines.join('\n') + '\n';
}

function svgChart(result) {
  const W = 760;
  const H = 420;
  const pad = { l: 70, r: 200, t: 40, b: 50 };
  const series = Object.entries(result.scenarios).map(([name, s]) => ({ name, points: s.open.map((o) => [o.offered, o.p50, o.p99]) }));
  const maxX = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  // Latency spans 100 ms to tens of seconds once a scenario saturates: a log scale keeps both readable.
  const minY = 10;
  const maxY = Math.max(1000, ...series.flatMap((s) => s.points.map((p) => p[2] ?? 0)));
  const x = (v) => pad.l + (v / maxX) * (W - pad.l - pad.r);
  const y = (v) => H - pad.b - (Math.log10(Math.max(v, minY) / minY) / Math.log10(maxY / minY)) * (H - pad.t - pad.b);
  const colors = ['#000000', '#e6194b', '#3cb44b', '#f58231', '#4363d8', '#911eb4', '#42d4f4', '#f032e6', '#9a6324', '#808000', '#469990'];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad.l}" y="22" font-size="15">Latency against offered rate (solid p50, dashed p99)</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(pad.l + W - pad.r) / 2}" y="${H - 12}" text-anchor="middle">offered rate (per second)</text>`,
    `<text x="16" y="${(pad.t + H - pad.b) / 2}" transform="rotate(-90 16 ${(pad.t + H - pad.b) / 2})" text-anchor="middle">latency (log scale)</text>`,
  ];
  for (let vy = minY; vy <= maxY * 1.0001; vy *= 10) {
    parts.push(`<text x="${pad.l - 6}" y="${y(vy) + 4}" text-anchor="end">${vy >= 1000 ? `${vy / 1000} s` : `${vy} ms`}</text>`);
    parts.push(`<line x1="${pad.l}" y1="${y(vy)}" x2="${W - pad.r}" y2="${y(vy)}" stroke="#eee"/>`);
  }
  for (let i = 0; i <= 4; i++) {
    const vx = (maxX * i) / 4;
    parts.push(`<text x="${x(vx)}" y="${H - pad.b + 16}" text-anchor="middle">${vx.toFixed(0)}</text>`);
  }
  series.forEach((s, i) => {
    const c = colors[i % colors.length];
    const line = (k, dash) =>
      `<polyline fill="none" stroke="${c}" stroke-width="2" ${dash ? 'stroke-dasharray="5,4"' : ''} points="${s.points.filter((p) => p[k] !== null).map((p) => `${x(p[0])},${y(p[k])}`).join(' ')}"/>`;
    parts.push(line(1, false), line(2, true));
    for (const p of s.points) if (p[1] !== null) parts.push(`<circle cx="${x(p[0])}" cy="${y(p[1])}" r="3" fill="${c}"/>`);
    parts.push(`<rect x="${W - pad.r + 14}" y="${pad.t + i * 20}" width="12" height="12" fill="${c}"/>`);
    parts.push(`<text x="${W - pad.r + 32}" y="${pad.t + i * 20 + 11}">${s.name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/workflow-bundle.js'))) throw new Error('run `make build` first (make bench does)');
  const began = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cadenza-bench-'));
  const cleanups = [];
  try {
    const services = await startServices(tmp);
    cleanups.push(services.stop);
    const { db, instanceId, apiKey } = await bootstrapTenant(services);
    cleanups.push(() => db.end());
    const apiPort = await freePort();
    const baselinePort = await freePort();
    const env = {
      DATABASE_URL: services.databaseUrl,
      DATABASE_OWNER_URL: services.ownerUrl,
      TEMPORAL_ADDRESS: services.temporalAddress,
      CADENZA_MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      CADENZA_LOG_LEVEL: 'warn',
      CADENZA_API_PORT: String(apiPort),
      CADENZA_DEMO_HANDLERS: 'true',
      CADENZA_DATA_DIR: tmp,
      CADENZA_OUTBOUND_ALLOWLIST: '127.0.0.1',
    };
    const cadenza = split
      ? {
          api: spawnProcess('api', [...profileArgs('api'), 'dist/cli/main.js', 'api'], { ...env, CADENZA_LOG_LEVEL: 'info' }, 'API listening'),
          worker: spawnProcess('worker', [...profileArgs('worker'), 'dist/cli/main.js', 'worker'], { ...env, CADENZA_LOG_LEVEL: 'info' }, 'worker running'),
        }
      : { cadenza: spawnProcess('cadenza', [...profileArgs('cadenza'), 'dist/cli/main.js', 'start'], env, 'Cadenza is running') };
    const processes = {
      ...cadenza,
      baselineWorker: spawnProcess('baseline', ['bench/baseline/worker.js'], { TEMPORAL_ADDRESS: services.temporalAddress, BASELINE_HTTP_PORT: String(baselinePort) }, 'baseline worker running'),
    };
    for (const p of Object.values(processes)) cleanups.push(p.stop);
    await Promise.all(Object.values(processes).map((p) => p.ready));
    const connection = await Connection.connect({ address: services.temporalAddress });
    cleanups.push(() => connection.close());
    const temporal = new Client({ connection });

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const receiver = await startWebhookReceiver();
    cleanups.push(receiver.close);
    // The peers create schemas of their own: they connect as the database owner.
    const scenarios = makeScenarios({ temporal, apiUrl, apiKey, instanceId, receiver, peersUrl: services.ownerUrl, baselineUrl: `http://127.0.0.1:${baselinePort}` });
    for (const sc of Object.values(scenarios)) if (sc.teardown) cleanups.push(sc.teardown);
    const pids = { ...Object.fromEntries(Object.entries(processes).map(([k, p]) => [k, p.child.pid])), loadgen: process.pid };
    if (services.temporalPid) pids.temporal = services.temporalPid;
    if (services.postgresPid) pids.postgres = services.postgresPid;
    const result = {
      startedAt: new Date(began).toISOString(),
      quick,
      plan: PLAN,
      machine: { cpus: os.cpus().length, node: process.version, memoryGb: +(os.totalmem() / 2 ** 30).toFixed(1) },
      temporalServer: selfHosted ? 'self-hosted v1.29.1, PostgreSQL persistence and visibility' : 'dev server',
      sqlitePragmas: dist('embedded/temporal-server.js').SQLITE_PRAGMAS,
      // The machine is shared: the load average beside the figures says how quiet it was.
      loadAverage: { start: os.loadavg().map((l) => +l.toFixed(2)) },
      scenarios: {},
      queries: {},
      files: {},
    };

    if (abScenario !== undefined) return await abRuns(scenarios, abScenario, pids, services.ownerUrl);

    // Open-loop rates are fractions of the peak of the scenario's own baseline.
    const peaks = {};
    for (const [name, sc] of Object.entries(scenarios)) {
      if (only && !name.startsWith('baseline') && !only.includes(name)) continue;
      if (sc.setup) await sc.setup();
      // Warm up: caches, connections, sticky queues.
      await closedLoop(sc.fire, 4, quick ? 1 : 3);
      const stopSampling = startSampling(pids);
      const { closed, saturation } = await peakLoop(name, sc);
      if (name.startsWith('baseline')) peaks[name] = closed.throughput;
      const basePeak = peaks[sc.baseline ?? (name.startsWith('baseline') ? name : 'baseline')];
      const open = [];
      for (const fraction of PLAN.rateFractions) {
        const rate = Math.max(1, Math.round(basePeak * fraction));
        log(`${name}: open loop at ${rate}/s for ${PLAN.openSeconds} s`);
        open.push({ fraction, ...(await openLoop(sc.fire, rate, PLAN.openSeconds)) });
      }
      const resources = stopSampling();
      const completed = closed.completed + open.reduce((n, o) => n + o.completed, 0);
      const ownCpu = sc.processes.reduce((sum, p) => sum + (resources.cpuSeconds[p] ?? 0), 0);
      resources.cpuPer1000 = sc.processes.length === 0 ? null : +((ownCpu / completed) * 1000).toFixed(2);
      resources.peakRssMb = Object.fromEntries(sc.processes.map((p) => [p, resources.peakRssMb[p]]));
      result.scenarios[name] = { closed, saturation, open, resources };
      log(`${name}: ${closed.throughput}/s peak; p50 ${closed.p50} ms closed`);
      if (sc.teardown) await sc.teardown();
    }
    result.loadAverage.end = os.loadavg().map((l) => +l.toFixed(2));
    for (const [name, s] of Object.entries(result.scenarios)) {
      const base = result.scenarios[scenarios[name].baseline ?? 'baseline'] ?? result.scenarios.baseline;
      s.baseline = scenarios[name].baseline ?? 'baseline';
      const half = (o) => o.find((x) => x.fraction === 0.5) ?? o[0];
      const local = result.scenarios['baseline-local'];
      s.ratio = {
        throughput: +(s.closed.throughput / base.closed.throughput).toFixed(2),
        toLocalBaseline: local && s.baseline === 'baseline' ? +(s.closed.throughput / local.closed.throughput).toFixed(2) : null,
        p50OverBaselineMs: +(half(s.open).p50 - half(base.open).p50).toFixed(1),
        p99OverBaselineMs: +(half(s.open).p99 - half(base.open).p99).toFixed(1),
      };
    }

    log(`queries: seeding ${SEEDED_COMMANDS} commands and their events`);
    const seeding = Date.now();
    await seedCommands(db, instanceId, SEEDED_COMMANDS);
    log(`queries: seeded in ${((Date.now() - seeding) / 1000).toFixed(0)} s`);
    result.seededCommands = SEEDED_COMMANDS;
    await settle(pids);
    result.queries = await runQueries(apiUrl, apiKey, PLAN.queryRuns);

    const stamp = result.startedAt.replace(/[:.]/g, '-');
    const base_ = path.join(ROOT, 'bench/results', stamp);
    result.files = { json: `${base_}.json`, md: `${base_}.md`, svg: `${base_}.svg` };
    result.durationSeconds = Math.round((Date.now() - began) / 1000);
    fs.mkdirSync(path.dirname(base_), { recursive: true });
    fs.writeFileSync(result.files.svg, svgChart(result));
    const md = markdown(result);
    fs.writeFileSync(result.files.md, md);
    fs.writeFileSync(result.files.json, JSON.stringify({ ...result, files: { json: path.basename(result.files.json), md: path.basename(result.files.md), svg: path.basename(result.files.svg) } }, null, 2));
    console.log(`\n${md}`);
    log(`done in ${result.durationSeconds} s; results in ${path.relative(ROOT, base_)}.{json,md,svg}`);
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve().then(c).catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** pg_stat_statements over the scenario's closed loops only (reset before each, summed after). */
async function statementCounter(databaseUrl) {
  const client = new (require('pg').Client)({ connectionString: databaseUrl });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const totals = new Map();
  return {
    reset: () => client.query('SELECT pg_stat_statements_reset()'),
    async snapshot() {
      const { rows } = await client.query(`SELECT calls::int, total_exec_time AS ms, regexp_replace(query, '\\s+', ' ', 'g') AS q FROM pg_stat_statements`);
      for (const r of rows) {
        const t = totals.get(r.q) ?? { calls: 0, ms: 0 };
        totals.set(r.q, { calls: t.calls + r.calls, ms: t.ms + r.ms });
      }
    },
    async print(operations) {
      const sorted = [...totals].sort((a, b) => b[1].calls - a[1].calls);
      const all = sorted.reduce((n, [, t]) => n + t.calls, 0);
      log(`SQL statements per operation: ${(all / operations).toFixed(1)} (calls per op, exec ms per op, statement)`);
      for (const [q, t] of sorted.slice(0, 30)) console.log(`${(t.calls / operations).toFixed(2).padStart(6)} ${(t.ms / operations).toFixed(3).padStart(7)}  ${q.slice(0, 140)}`);
      await client.end();
    },
  };
}

/** One closed loop with CPU sampling: throughput and CPU ms per operation for every process. */
async function sampledClosedLoop(sc, pids, seconds) {
  const stop = startSampling(pids);
  const closed = await closedLoop(sc.fire, PLAN.concurrency, seconds);
  const { cpuSeconds } = stop();
  const perOp = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, +((v / Math.max(1, closed.completed)) * 1000).toFixed(1)]));
  perOp.total = +Object.values(perOp).reduce((a, b) => a + b, 0).toFixed(1);
  return { throughput: closed.throughput, completed: closed.completed, cpuMsPerOp: perOp };
}

async function abRuns(scenarios, name, pids, databaseUrl) {
  const sc = scenarios[name];
  if (sc === undefined) throw new Error(`--ab: no scenario ${name}`);
  const base = scenarios[sc.baseline ?? 'baseline'];
  if (sc.setup) await sc.setup();
  await closedLoop(base.fire, 4, 3);
  await closedLoop(sc.fire, 4, 3);
  const ratios = [];
  let operations = 0;
  const pg = statements ? await statementCounter(databaseUrl) : undefined;
  for (let round = 1; round <= abRounds; round++) {
    const b = await sampledClosedLoop(base, pids, 10);
    if (pg) await pg.reset();
    const c = await sampledClosedLoop(sc, pids, 10);
    if (pg) await pg.snapshot();
    operations += c.completed;
    ratios.push(c.throughput / b.throughput);
    log(`round ${round}: baseline ${b.throughput}/s, ${name} ${c.throughput}/s, ratio ${(c.throughput / b.throughput).toFixed(2)}`);
    log(`  CPU ms per op: baseline ${JSON.stringify(b.cpuMsPerOp)}; ${name} ${JSON.stringify(c.cpuMsPerOp)}`);
  }
  if (pg) await pg.print(operations);
  ratios.sort((a, b) => a - b);
  log(`median ratio over ${abRounds} rounds: ${ratios[Math.floor(ratios.length / 2)].toFixed(2)} (min ${ratios[0].toFixed(2)}, max ${ratios.at(-1).toFixed(2)})`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = { markdown, svgChart };
