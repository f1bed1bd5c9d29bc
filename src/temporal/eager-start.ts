// Eager workflow start: when this process runs a worker on the client's own connection
// (TemporalDeps.workerConnection), the server hands the new workflow's first task back in the
// start's answer, to run here, instead of a round through its task queue. Only for workflows
// on the core task queue, which that worker polls.
import type { TemporalDeps } from '../context';

export function eagerStart(temporal: TemporalDeps): { requestEagerStart: boolean } {
  return { requestEagerStart: temporal.workerConnection !== undefined };
}
