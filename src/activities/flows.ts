// Activities of a flow run: one action step in the sandbox, and the run's end. A script's
// failure is a result, not an activity error, so Temporal never retries user code.
import type { AppCtx } from '../context';
import { transaction } from '../db/db';
import { loadVersion } from '../actions/actions';
import type { ScriptThreadPool } from '../actions/script';
import type { RunStepPlan } from '../flows/flows';
import { recordRunEnded, recordStep, type StepRecord } from '../runs/records';
import { FLOW_RUN_LIMITS } from '../workflows/flow-run-contract';
import type { SandboxError } from '../sandbox/sandbox';
import { persist } from './persist';

export interface ActionStepInput {
  instanceId: string;
  orgId: string | null;
  runId: string;
  flowType: string;
  trigger: string;
  position: number;
  step: RunStepPlan;
  context: Record<string, unknown>;
}

export type ActionStepOutput =
  | { state: 'succeeded'; context: Record<string, unknown> }
  | { state: 'failed'; error: SandboxError };

export interface RunEndInput {
  instanceId: string;
  orgId: string | null;
  runId: string;
  state: 'succeeded' | 'failed';
  context: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
}

export function flowActivities(ctx: AppCtx, threads: ScriptThreadPool) {
  return {
    async runActionStep(input: ActionStepInput): Promise<ActionStepOutput> {
      const version = await persist(() =>
        transaction(ctx.db, { instanceId: input.instanceId }, (tx) => loadVersion(tx, input.instanceId, input.step.actionId, input.step.version)),
      );
      const startedAt = new Date();
      const result =
        version === undefined
          ? { ok: false as const, error: { kind: 'runtime' as const, message: `action version ${input.step.version} no longer exists` }, logs: [], logsTruncated: false }
          : await threads.run(input.instanceId, {
              kind: 'action',
              input: {
                name: version.name,
                script: version.script,
                api: version.api,
                timeoutMs: input.step.timeoutMs,
                memoryBytes: ctx.config.actions.memoryBytes,
                maxContextBytes: FLOW_RUN_LIMITS.contextBytes,
                flowType: input.flowType,
                trigger: input.trigger,
                context: input.context,
                allowlist: ctx.config.outboundAllowlist,
              },
            });
      const contextOut = result.ok ? asContext(result.value) : undefined;
      const error: SandboxError | null = result.ok
        ? contextOut === undefined ? { kind: 'runtime', message: 'the context is no longer an object' } : null
        : result.error;
      const step: StepRecord = {
        instanceId: input.instanceId,
        orgId: input.orgId,
        runId: input.runId,
        position: input.position,
        step: input.step,
        state: error === null ? 'succeeded' : 'failed',
        startedAt,
        endedAt: new Date(),
        error,
        logs: result.logs,
        logsTruncated: result.logsTruncated,
        stepLogLines: FLOW_RUN_LIMITS.stepLogLines,
      };
      await persist(() => recordStep(ctx.db, step));
      return error === null ? { state: 'succeeded', context: contextOut! } : { state: 'failed', error };
    },

    async recordFlowRunEnded(input: RunEndInput): Promise<void> {
      if (await recordRunEnded(ctx.db, input)) ctx.metrics.runs.inc({ kind: 'flow', outcome: input.state });
    },
  };
}

function asContext(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export type FlowActivities = ReturnType<typeof flowActivities>;
