// The contract of an alert's evaluator workflow, shared by the workflow and the alerts domain.

export const alertWorkflowId = (instanceId: string, alertId: string) => `alert:${instanceId}:${alertId}`;

export interface AlertWorkflowInput {
  instanceId: string;
  alertId: string;
}
