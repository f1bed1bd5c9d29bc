// Activities of an execution run: one signed HTTP call per target attempt, through the outbound
// address policy at call time (DNS may have changed since the target was saved). 4xx and refused
// addresses are final; connection errors, timeouts and 5xx are retried by the activity policy.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { masterKeys } from '../config/config';
import type { AppCtx } from '../context';
import { transaction } from '../db/db';
import { recordRunEnded } from '../runs/records';
import { createAddressPolicy, OutboundAddressRefused } from '../net/address-policy';
import { statusClass } from '../metrics/metrics';
import { inSpan } from '../telemetry/tracing';
import { postSigned } from '../targets/post';
import { recordCall, recordExecutionRunStarted, type ExecutionRunStart } from '../runs/execution-records';
import { loadSigningKeys, type TargetSnapshot } from '../targets/targets';
import { EXECUTION_RUN_LIMITS } from '../workflows/execution-contract';
import { persist } from './persist';

export interface CallTargetInput {
  instanceId: string;
  runId: string;
  position: number;
  target: TargetSnapshot;
  body: unknown;
}

export interface CallTargetOutput {
  status: number;
  body: unknown;
}

/** Error types the workflow and the API tell apart. */
export const TARGET_FAILURE = { rejected: 'TargetRejected', failed: 'TargetFailed', refused: 'AddressRefused' } as const;

function parseBody(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return text;
  }
}

export function targetActivities(ctx: AppCtx) {
  const policy = createAddressPolicy(ctx.config.outboundAllowlist);
  return {
    async recordExecutionRunStarted(input: ExecutionRunStart): Promise<void> {
      await recordExecutionRunStarted(ctx.db, input);
    },

    async recordExecutionRunEnded(input: { instanceId: string; orgId?: string | null; runId: string; state: 'succeeded' | 'failed'; body: unknown; error: Record<string, unknown> | null }): Promise<void> {
      const recorded = await recordRunEnded(ctx.db, { instanceId: input.instanceId, orgId: input.orgId ?? null, runId: input.runId, state: input.state, context: { body: input.body }, error: input.error });
      if (recorded) ctx.metrics.runs.inc({ kind: 'execution', outcome: input.state });
    },

    async callTarget(input: CallTargetInput): Promise<CallTargetOutput> {
      const { target } = input;
      const attempt = Context.current().info.attempt;
      const keys = await persist(() => transaction(ctx.db, { instanceId: input.instanceId }, (tx) => loadSigningKeys(tx, masterKeys(ctx.config), input.instanceId, target.id)));
      const startedAt = new Date();
      const timer = ctx.metrics.targetCalls.startTimer({ target_type: target.type });
      const record = (state: 'succeeded' | 'failed', statusCode: number | null, error: string | null, response: unknown = null) => {
        timer({ status: statusClass(statusCode) });
        const endedAt = new Date();
        return persist(() =>
          recordCall(ctx.db, { instanceId: input.instanceId, runId: input.runId, position: input.position, attempt, target, state, statusCode, startedAt, endedAt, error, request: input.body, response }),
        );
      };
      let res;
      try {
        res = await inSpan(`call target ${target.type}`, { 'cadenza.target.type': target.type, 'url.full': target.endpoint }, async (span) => {
          const answer = await postSigned(policy, target.endpoint, keys, input.body, target.timeoutMs);
          span.setAttribute('http.response.status_code', answer.status);
          return answer;
        });
      } catch (err) {
        const refused = err instanceof OutboundAddressRefused;
        const message = (err as Error).message;
        await record('failed', null, message);
        throw ApplicationFailure.create({ type: refused ? TARGET_FAILURE.refused : TARGET_FAILURE.failed, message, nonRetryable: refused });
      }
      const body = parseBody(res.text);
      if (res.ok && target.type === 'call' && Buffer.byteLength(res.text) > EXECUTION_RUN_LIMITS.bodyBytes) {
        const message = `the response body is larger than ${EXECUTION_RUN_LIMITS.bodyBytes} bytes`;
        await record('failed', res.status, message);
        throw ApplicationFailure.create({ type: TARGET_FAILURE.rejected, message, nonRetryable: true, details: [{ status: res.status, body: null }] });
      }
      if (res.ok) {
        await record('succeeded', res.status, null, body);
        return { status: res.status, body };
      }
      const clientError = res.status >= 400 && res.status < 500;
      await record('failed', res.status, `HTTP ${res.status}`, body);
      throw ApplicationFailure.create({
        type: clientError ? TARGET_FAILURE.rejected : TARGET_FAILURE.failed,
        message: `answered HTTP ${res.status}`,
        nonRetryable: clientError,
        details: [{ status: res.status, body }],
      });
    },
  };
}

export type TargetActivities = ReturnType<typeof targetActivities>;
