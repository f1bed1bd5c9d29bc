// Every activity the core worker registers, built from the process's AppCtx. Each part of
// Cadenza contributes its own factory here; workflow code imports their types only. The script
// thread pool is shared: action scripts, workflow expressions and Code all queue on it.
import { ScriptThreadPool } from '../actions/script';
import { coreCommandActivities } from '../activities/commands';
import { dagActivities } from '../activities/dag';
import { flowActivities } from '../activities/flows';
import { n8nActivities } from '../activities/n8n';
import { targetActivities } from '../activities/targets';
import { alertActivities } from '../activities/alerts';
import { retentionActivities } from '../activities/retention';
import type { AppCtx } from '../context';

export type ActivityMap = Record<string, (...args: any[]) => Promise<unknown>>;

export function createActivities(ctx: AppCtx): ActivityMap {
  const scripts = new ScriptThreadPool(ctx.config.actions.threads);
  return {
    ...coreCommandActivities(ctx),
    ...flowActivities(ctx, scripts),
    ...dagActivities(ctx, scripts),
    ...n8nActivities(ctx, scripts),
    ...targetActivities(ctx),
    ...alertActivities(ctx),
    ...retentionActivities(ctx),
  };
}
