// Loading and error states, the same on every page.
import type { UseInfiniteQueryResult, UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="error-state" role="alert">
      <strong>{api ? `${api.status} · ${api.problem?.title ?? 'Error'}` : 'Something went wrong'}</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {api && api.fieldErrors.length > 0 && (
        <ul>
          {api.fieldErrors.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Renders the data of a query, or its loading or error state. */
export function Query<T>({ q, label, children }: { q: UseQueryResult<T> | UseInfiniteQueryResult<T>; label?: string; children: (data: T) => ReactNode }) {
  if (q.isPending) return <Loading label={label} />;
  if (q.isError) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  return <>{children(q.data)}</>;
}
