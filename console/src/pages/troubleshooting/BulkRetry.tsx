// Bulk retry of the selected entries: a durable workflow on the server (it goes on if this tab
// closes), whose progress the page polls until it completes.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { Dialog } from '../../ui/Dialog';
import { Progress } from '../../ui/Progress';

type Key = { domain: string; commandId: string };
export type Bulk = { id: string; total: number };

export function BulkRetryButton({ selected, onStarted }: { selected: Key[]; onStarted: (bulk: Bulk) => void }) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const start = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/troubleshooting/retry', { body: { commands: selected, limit: selected.length, ...(note.trim() ? { reason: note.trim() } : {}) } })),
    onSuccess: (started) => {
      onStarted({ id: started.id, total: selected.length });
      setOpen(false);
      setNote('');
    },
  });
  return (
    <>
      <button type="button" className="btn btn-primary" disabled={selected.length === 0} onClick={() => setOpen(true)}>
        Retry {selected.length > 0 ? selected.length : ''} selected
      </button>
      <Dialog
        title={`Retry ${selected.length} command${selected.length === 1 ? '' : 's'}?`}
        open={open}
        onClose={() => setOpen(false)}
        onConfirm={() => start.mutate()}
        confirmLabel={`Retry ${selected.length}`}
        busy={start.isPending}
        error={start.error}
      >
        <p>Each command leaves the troubleshooting queue and starts its attempts again. You are recorded as the operator.</p>
        <label className="field">
          Note for the audit trail (optional)
          <input value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} placeholder="e.g. payment provider is back" />
        </label>
      </Dialog>
    </>
  );
}

export function BulkProgress({ bulk, onDismiss }: { bulk: Bulk; onDismiss: () => void }) {
  const client = useQueryClient();
  const progress = useQuery({
    queryKey: ['bulk-retry', bulk.id],
    queryFn: () => unwrap(api.GET('/v1/troubleshooting/retry/{bulkId}', { params: { path: { bulkId: bulk.id } } })),
    refetchInterval: (q) => (q.state.data?.state === 'COMPLETED' ? false : 500),
  });
  const p = progress.data;
  const done = p?.state === 'COMPLETED';
  useEffect(() => {
    if (done) void client.invalidateQueries({ queryKey: ['troubleshooting'] });
  }, [done, client]);
  return (
    <div className={`bulk${done && (p?.failedCount ?? 0) > 0 ? ' bulk-partial' : ''}`} role="status" aria-live="polite">
      <div className="bulk-line">
        <strong>{done ? 'Bulk retry done' : 'Retrying…'}</strong>
        <Progress label="Bulk retry progress" value={(p?.retried ?? 0) + (p?.failedCount ?? 0)} max={bulk.total} />
        <span>
          {p?.retried ?? 0} of {bulk.total} retried
          {(p?.failedCount ?? 0) > 0 && `, ${p?.failedCount} failed`}
        </span>
        {done && (
          <button type="button" className="btn btn-small" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </div>
      {done && (p?.failed.length ?? 0) > 0 && (
        <ul className="bulk-failures">
          {p!.failed.map((x) => (
            <li key={`${x.domain}/${x.commandId}`}>
              {x.domain}/{x.commandId}: {x.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
