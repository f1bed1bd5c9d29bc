// Bare Temporal: the limit Cadenza can approach. One workflow, one no-op activity.
const { proxyActivities, proxyLocalActivities } = require('@temporalio/workflow');

const { noop } = proxyActivities({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities({ startToCloseTimeout: '1 minute' });

async function baselineWorkflow() {
  await noop();
  return 'done';
}

/** The least a durable execution costs: one local activity, no activity task round trip. */
async function baselineLocalWorkflow() {
  await local.noop();
  return 'done';
}

/** Three no-op activities in a row: the baseline of a flow of 3 script actions. */
async function baseline3Workflow() {
  await noop();
  await noop();
  await noop();
  return 'done';
}

/** The 10 activities of the bench DAG, hand-written with the same diamonds and joins. */
async function baselineDiamondWorkflow() {
  await noop(); // Start
  await noop(); // A
  await Promise.all([noop(), noop()]); // B, C
  await noop(); // D (join)
  await noop(); // E
  await Promise.all([noop(), noop()]); // F, G
  await noop(); // H (join)
  return 'done';
}

module.exports = { baselineWorkflow, baselineLocalWorkflow, baseline3Workflow, baselineDiamondWorkflow };
