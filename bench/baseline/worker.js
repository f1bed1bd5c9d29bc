// The baseline worker process: a plain Temporal worker with default options, as a user would write.
// It also answers POST /start-local on BASELINE_HTTP_PORT: a workflow with one local activity,
// started eagerly through the worker's own connection (as `cadenza start` starts commands), so
// the bench times the least a durable Temporal execution can cost, behind the same HTTP hop.
const crypto = require('node:crypto');
const http = require('node:http');
const { Client } = require('@temporalio/client');
const { NativeConnection, Worker, bundleWorkflowCode } = require('@temporalio/worker');

const TASK_QUEUE = process.env.BASELINE_TASK_QUEUE || 'bench-baseline';

function serveStarts(client, port) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      try {
        const workflowId = `baseline-local-${crypto.randomUUID()}`;
        await client.workflow.start('baselineLocalWorkflow', { taskQueue: TASK_QUEUE, workflowId, requestEagerStart: true });
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ workflowId }));
      } catch (err) {
        res.writeHead(500).end(String(err));
      }
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    workflowBundle: { code },
    activities: { noop: async () => undefined },
  });
  const server = process.env.BASELINE_HTTP_PORT ? await serveStarts(new Client({ connection }), Number(process.env.BASELINE_HTTP_PORT)) : undefined;
  process.on('SIGTERM', () => {
    server?.close();
    worker.shutdown();
  });
  console.log('baseline worker running');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
