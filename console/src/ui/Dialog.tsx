// A modal confirmation on the native <dialog>: focus moves in, Escape closes, the page behind is
// inert. The confirm button shows the call's progress and its error stays in the dialog.
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';
import { ErrorState } from './QueryState';

export function Dialog({
  title,
  open,
  onClose,
  onConfirm,
  confirmLabel,
  confirmTone = 'primary',
  busy = false,
  canConfirm = true,
  error,
  children,
}: {
  title: string;
  open: boolean;
  onClose: () => void;
  onConfirm?: () => void;
  confirmLabel?: string;
  confirmTone?: 'primary' | 'danger';
  busy?: boolean;
  canConfirm?: boolean;
  error?: unknown;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canConfirm && !busy) onConfirm?.();
  };
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <form onSubmit={submit}>
        <h2 id={titleId}>{title}</h2>
        <div className="dialog-body">{children}</div>
        {error !== undefined && error !== null && <ErrorState error={error} />}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            {onConfirm ? 'Cancel' : 'Close'}
          </button>
          {onConfirm && (
            <button type="submit" className={`btn btn-${confirmTone}`} disabled={!canConfirm || busy}>
              {busy ? 'Working…' : confirmLabel}
            </button>
          )}
        </div>
      </form>
    </dialog>
  );
}
