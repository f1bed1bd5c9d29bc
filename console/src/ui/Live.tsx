import { age } from '../lib/format';
import { useNow } from './hooks';

/** "Live · updated 3 s ago": this view refreshes by itself. */
export function Live({ updatedAt, fetching }: { updatedAt: number; fetching: boolean }) {
  const now = useNow(1000);
  return (
    <span className={`live${fetching ? ' live-fetching' : ''}`}>
      <span className="live-dot" aria-hidden="true" /> Live · updated {updatedAt === 0 ? '…' : age(new Date(updatedAt).toISOString(), now)}
    </span>
  );
}
