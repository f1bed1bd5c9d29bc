// The alert timer workflow's one activity: evaluate an alert (and fire it when due).
import { evaluateAlert, type Evaluation } from '../alerts/alerts';
import type { AppCtx } from '../context';

export function alertActivities(ctx: AppCtx) {
  return {
    async evaluateAlert(input: { instanceId: string; alertId: string }): Promise<Evaluation> {
      return evaluateAlert(ctx, input.instanceId, input.alertId);
    },
  };
}

export type AlertActivities = ReturnType<typeof alertActivities>;
