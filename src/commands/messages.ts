// The operator messages of a command workflow, defined once and shared by the workflow, the API
// and anyone scripting against Temporal (`temporal workflow signal --name retry …`).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BatchReply, BulkRetryProgress, CommandReply, CommandSnapshot, OperatorInput } from './model';

export const retrySignal = defineSignal<[OperatorInput]>('retry');
export const cancelSignal = defineSignal<[OperatorInput]>('cancel');
export const completeSignal = defineSignal<[OperatorInput]>('complete');

/** Same meaning as the signals, answered once the transition is recorded; rejected outside the TSQ. */
export const retryUpdate = defineUpdate<CommandSnapshot, [OperatorInput]>('retry');
export const cancelUpdate = defineUpdate<CommandSnapshot, [OperatorInput]>('cancel');
export const completeUpdate = defineUpdate<CommandSnapshot, [OperatorInput]>('complete');

export const statusQuery = defineQuery<CommandSnapshot>('status');

/** Sent to a `temporal:<workflowId>` replyTo (a process manager). */
export const commandReplySignal = defineSignal<[CommandReply]>('commandReply');
export const batchReplySignal = defineSignal<[BatchReply]>('batchReply');

/** Progress of a bulk retry workflow. */
export const bulkRetryProgressQuery = defineQuery<BulkRetryProgress>('progress');
