// Bare Temporal: the limit Cadenza can approach. One workflow, one no-op activity.
const { proxyActivities } = require('@temporalio/workflow');

const { noop } = proxyActivities({ startToCloseTimeout: '1 minute' });

async function baselineWorkflow() {
  await noop();
  return 'done';
}

module.exports = { baselineWorkflow };
