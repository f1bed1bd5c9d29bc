// Retry, cancel and complete a command in the troubleshooting queue, each behind a confirmation.
// The API records the signed-in key's name as the operator.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Command } from '../../api/client';
import { Dialog } from '../../ui/Dialog';

type Action = 'retry' | 'cancel' | 'complete';

export function OperatorActions({ command }: { command: Command }) {
  const client = useQueryClient();
  const [open, setOpen] = useState<Action>();
  const [reason, setReason] = useState('');
  const [result, setResult] = useState('{\n  \n}');
  const path = { domain: command.domain, commandId: command.commandId };
  const parsed = parseJson(result);

  const act = useMutation({
    mutationFn: async (action: Action) => {
      const note = reason.trim() === '' ? {} : { reason: reason.trim() };
      if (action === 'retry') return unwrap(api.POST('/v1/troubleshooting/{domain}/{commandId}/retry', { params: { path }, body: note }));
      if (action === 'cancel') return unwrap(api.POST('/v1/troubleshooting/{domain}/{commandId}/cancel', { params: { path }, body: { reason: reason.trim() } }));
      return unwrap(api.POST('/v1/troubleshooting/{domain}/{commandId}/complete', { params: { path }, body: { ...note, result: parsed.value } }));
    },
    onSuccess: (updated) => {
      client.setQueryData(['command', command.domain, command.commandId], updated);
      void client.invalidateQueries({ queryKey: ['audit', command.domain, command.commandId] });
      void client.invalidateQueries({ queryKey: ['troubleshooting'] });
      close();
    },
  });
  const show = (action: Action) => {
    act.reset();
    setReason('');
    setOpen(action);
  };
  const close = () => setOpen(undefined);
  const name = `${command.domain}/${command.commandId}`;

  return (
    <div className="operator-actions">
      <button type="button" className="btn btn-primary" onClick={() => show('retry')}>
        Retry
      </button>
      <button type="button" className="btn" onClick={() => show('complete')}>
        Complete…
      </button>
      <button type="button" className="btn btn-danger-outline" onClick={() => show('cancel')}>
        Cancel…
      </button>

      <Dialog title={`Retry ${name}?`} open={open === 'retry'} onClose={close} onConfirm={() => act.mutate('retry')} confirmLabel="Retry" busy={act.isPending} error={act.error}>
        <p>The command leaves the troubleshooting queue and its attempts start again ({command.maxAttempts} at most).</p>
        <label className="field">
          Note for the audit trail (optional)
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} placeholder="e.g. the handler is fixed" />
        </label>
      </Dialog>

      <Dialog
        title={`Cancel ${name}?`}
        open={open === 'cancel'}
        onClose={close}
        onConfirm={() => act.mutate('cancel')}
        confirmLabel="Cancel the command"
        confirmTone="danger"
        canConfirm={reason.trim() !== ''}
        busy={act.isPending}
        error={act.error}
      >
        <p>The command ends CANCELED and is never handled. Its sender gets a reply with your reason.</p>
        <label className="field">
          Reason (required)
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} rows={3} required placeholder="e.g. duplicate order, refunded by hand" />
        </label>
      </Dialog>

      <Dialog
        title={`Complete ${name} by hand?`}
        open={open === 'complete'}
        onClose={close}
        onConfirm={() => act.mutate('complete')}
        confirmLabel="Complete the command"
        canConfirm={parsed.error === undefined}
        busy={act.isPending}
        error={act.error}
      >
        <p>The command ends COMPLETED with this result, as if its handler had returned it.</p>
        <label className="field">
          Result (JSON)
          <textarea className="mono" value={result} onChange={(e) => setResult(e.target.value)} rows={6} aria-invalid={parsed.error !== undefined} aria-describedby="result-check" spellCheck={false} />
        </label>
        <p id="result-check" className={parsed.error ? 'form-error' : 'form-ok'}>
          {parsed.error ? `Not valid JSON: ${parsed.error}` : 'Valid JSON'}
        </p>
        <label className="field">
          Note for the audit trail (optional)
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} />
        </label>
      </Dialog>
    </div>
  );
}

function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
