// The baseline worker process: a plain Temporal worker with default options, as a user would write.
const { NativeConnection, Worker, bundleWorkflowCode } = require('@temporalio/worker');

async function main() {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.BASELINE_TASK_QUEUE || 'bench-baseline',
    workflowBundle: { code },
    activities: { noop: async () => undefined },
  });
  process.on('SIGTERM', () => worker.shutdown());
  console.log('baseline worker running');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
