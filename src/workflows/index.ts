// Every workflow type the worker runs. This module and what it imports are bundled for the
// Temporal workflow sandbox: deterministic code only, and activities imported as types.
export { bulkRetryWorkflow } from './bulk-retry';
export { commandWorkflow } from './command';
export { flowRunWorkflow } from './flow-run';
export { dagWorkflow } from './dag';
export { n8nWorkflow } from './n8n';
export { executionWorkflow } from './execution';
export { alertWorkflow } from './alert';
export { n8nScheduledRun } from './n8n-schedule';
export { logRetentionWorkflow, commandRetentionWorkflow } from './retention';
