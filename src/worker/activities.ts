// Every activity the core worker registers, built from the process's AppCtx. Each part of
// Cadenza contributes its own factory here; workflow code imports their types only.
import { coreCommandActivities } from '../activities/commands';
import { dagActivities } from '../activities/dag';
import { flowActivities } from '../activities/flows';
import { targetActivities } from '../activities/targets';
import { alertActivities } from '../activities/alerts';
import type { AppCtx } from '../context';

export type ActivityMap = Record<string, (...args: any[]) => Promise<unknown>>;

export function createActivities(ctx: AppCtx): ActivityMap {
  return { ...coreCommandActivities(ctx), ...flowActivities(ctx), ...dagActivities(ctx), ...targetActivities(ctx), ...alertActivities(ctx) };
}
