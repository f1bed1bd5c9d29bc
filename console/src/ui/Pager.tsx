// Cursor paging kept in the URL: "Older" follows nextCursor, the browser's Back returns.
import { useSearchParams } from 'react-router';

export function Pager({ nextCursor, count }: { nextCursor: string | null | undefined; count: number }) {
  const [params, setParams] = useSearchParams();
  const onFirst = !params.has('cursor');
  const go = (cursor: string | null) => {
    const next = new URLSearchParams(params);
    if (cursor === null) next.delete('cursor');
    else next.set('cursor', cursor);
    setParams(next);
  };
  if (onFirst && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">{count} shown</span>
      <button type="button" className="btn" disabled={onFirst} onClick={() => go(null)}>
        Newest
      </button>
      <button type="button" className="btn" disabled={!nextCursor} onClick={() => nextCursor && go(nextCursor)}>
        Older →
      </button>
    </nav>
  );
}
