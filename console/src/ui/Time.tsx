import { age, dateTime } from '../lib/format';
import { useNow } from './hooks';

/** A time as its age ("3 min ago"), with the exact time on hover. */
export function Ago({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {age(iso, now)}
    </time>
  );
}

export function At({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso}>{dateTime(iso)}</time>;
}
