// Writes from inside an activity wait for PostgreSQL to come back (heartbeating) instead of
// failing the attempt: an outage must not use up a handler's, a node's or a target's attempts.
// The wait stops at the attempt's own start-to-close timeout or its cancellation.
import { Context } from '@temporalio/activity';
import { retryWhileDbAway } from '../db/db';

export function persist<T>(fn: () => Promise<T>): Promise<T> {
  const activity = Context.current();
  const { startToCloseTimeoutMs, currentAttemptScheduledTimestampMs } = activity.info;
  return retryWhileDbAway(fn, {
    signal: activity.cancellationSignal,
    deadline: currentAttemptScheduledTimestampMs + startToCloseTimeoutMs,
    onWait: () => activity.heartbeat(),
  });
}
