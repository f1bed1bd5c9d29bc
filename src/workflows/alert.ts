// An alert's durable evaluator: evaluate, sleep, repeat; continue-as-new keeps the history short.
// It ends when the alert is removed.
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';
import type { AlertWorkflowInput } from './alert-contract';

const EVALUATIONS_PER_RUN = 500;

const { evaluateAlert } = proxyActivities<AlertActivities>({ startToCloseTimeout: '60s', retry: { maximumAttempts: 3 } });

export async function alertWorkflow(input: AlertWorkflowInput): Promise<void> {
  for (let i = 0; i < EVALUATIONS_PER_RUN; i++) {
    let every = 60;
    try {
      const out = await evaluateAlert(input);
      if (out.state === 'removed') return;
      every = out.evaluateEverySeconds;
    } catch {
      // A failed evaluation is tried again at the next tick.
    }
    await sleep(every * 1000);
  }
  await continueAsNew<typeof alertWorkflow>(input);
}
