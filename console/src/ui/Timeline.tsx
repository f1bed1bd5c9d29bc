// A command's audit trail: every transition in order, who did it and when, with its details.
import type { Schemas } from '../api/client';
import { humanize } from '../lib/format';
import { Json } from './Json';
import { Ago } from './Time';

type Entry = Schemas['AuditEntry'];

const TONE: Record<string, string> = {
  'command.completed': 'good',
  'command.failed': 'bad',
  'command.attempt_failed': 'bad',
  'command.moved_to_tsq': 'stuck',
  'command.operator_retry': 'operator',
  'command.operator_cancel': 'operator',
  'command.operator_complete': 'operator',
};

export function Timeline({ entries }: { entries: Entry[] }) {
  return (
    <ol className="timeline" aria-label="Audit trail">
      {entries.map((e) => (
        <li key={e.sequence} className={`timeline-item tone-${TONE[e.type] ?? 'neutral'}`} data-event={e.type}>
          <div className="timeline-head">
            <span className="timeline-type">{humanize(e.type)}</span>
            <span className="timeline-who">
              by <strong>{e.creator}</strong>
            </span>
            <Ago iso={e.createdAt} />
          </div>
          <Summary entry={e} />
          {Object.keys(e.payload).length > 0 && (
            <details className="timeline-details">
              <summary>Details</summary>
              <Json value={e.payload} expandDepth={1} />
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}

function Summary({ entry }: { entry: Entry }) {
  const p = entry.payload as Record<string, unknown>;
  const error = p.error as { message?: string } | undefined;
  const parts: string[] = [];
  if (typeof p.attempt === 'number') parts.push(`attempt ${p.attempt}`);
  if (typeof p.reason === 'string') parts.push(p.reason);
  if (typeof p.tsqReason === 'string') parts.push(p.tsqReason);
  if (error?.message) parts.push(error.message);
  if (parts.length === 0) return null;
  return <p className="timeline-summary">{parts.join(' · ')}</p>;
}
