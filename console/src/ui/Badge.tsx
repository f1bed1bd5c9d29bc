// One colour per state, the same everywhere: green done, red failed, amber stuck, blue moving.
const TONE: Record<string, string> = {
  COMPLETED: 'good',
  completed: 'good',
  succeeded: 'good',
  ok: 'good',
  active: 'good',
  FAILED: 'bad',
  failed: 'bad',
  timed_out: 'bad',
  firing: 'bad',
  IN_TROUBLESHOOTING_QUEUE: 'stuck',
  EXHAUSTED: 'stuck',
  PERMANENT: 'stuck',
  HANDLER_NOT_FOUND: 'stuck',
  IN_PROGRESS: 'moving',
  running: 'moving',
  RUNNING: 'moving',
  retrying: 'wait',
  RETRY_WAIT: 'wait',
  waiting: 'wait',
  PENDING: 'neutral',
  pending: 'neutral',
  CANCELED: 'muted',
  cancelled: 'muted',
  skipped: 'muted',
  inactive: 'muted',
};

const LABEL: Record<string, string> = { IN_TROUBLESHOOTING_QUEUE: 'IN TSQ', HANDLER_NOT_FOUND: 'NO HANDLER', RETRY_WAIT: 'RETRY WAIT', IN_PROGRESS: 'IN PROGRESS', timed_out: 'timed out' };

export function Badge({ value, title }: { value: string; title?: string }) {
  return (
    <span className={`badge tone-${TONE[value] ?? 'neutral'}`} title={title ?? value} data-state={value}>
      {LABEL[value] ?? value}
    </span>
  );
}
