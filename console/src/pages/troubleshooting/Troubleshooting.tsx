// The troubleshooting queue: what is stuck, why, since when. Filters live in the URL; an operator
// selects entries and retries them in bulk, watching the durable bulk retry's progress.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Command } from '../../api/client';
import { useCan } from '../../app/me';
import { Badge } from '../../ui/Badge';
import { useFilters } from '../../ui/hooks';
import { Live } from '../../ui/Live';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';
import { BulkProgress, BulkRetryButton, type Bulk } from './BulkRetry';

const FILTERS = ['domain', 'type', 'tsqReason', 'cursor'] as const;
const REASONS = ['EXHAUSTED', 'PERMANENT', 'HANDLER_NOT_FOUND'] as const;
type Reason = (typeof REASONS)[number];

export const commandKey = (c: { domain: string; commandId: string }) => `${c.domain}/${c.commandId}`;

export function Troubleshooting() {
  const canOperate = useCan('operator');
  const [f, setFilters] = useFilters(FILTERS);
  const [selected, setSelected] = useState<Map<string, Command>>(new Map());
  const [bulk, setBulk] = useState<Bulk>();
  const depth = useQuery({ queryKey: ['troubleshooting', 'counts'], queryFn: () => unwrap(api.GET('/v1/troubleshooting/counts')), refetchInterval: 10_000 });
  const query = { domain: f.domain, type: f.type, tsqReason: f.tsqReason as Reason | undefined, cursor: f.cursor, limit: 50 };
  const queue = useQuery({
    queryKey: ['troubleshooting', 'list', query],
    queryFn: () => unwrap(api.GET('/v1/troubleshooting', { params: { query } })),
    refetchInterval: 5_000,
  });

  const groups = depth.data?.items ?? [];
  const domains = [...new Set(groups.map((g) => g.domain))].sort();
  const types = [...new Set(groups.filter((g) => f.domain === undefined || g.domain === f.domain).map((g) => g.type))].sort();
  const filter = (next: Partial<Record<(typeof FILTERS)[number], string | undefined>>) => {
    setSelected(new Map());
    setFilters({ ...next, cursor: undefined });
  };
  const toggle = (c: Command) => {
    const next = new Map(selected);
    if (next.has(commandKey(c))) next.delete(commandKey(c));
    else next.set(commandKey(c), c);
    setSelected(next);
  };

  return (
    <Page title="Troubleshooting queue" actions={<Live updatedAt={queue.dataUpdatedAt} fetching={queue.isFetching} />}>
      <form className="filters" role="search" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
        <label>
          Domain
          <select value={f.domain ?? ''} onChange={(e) => filter({ domain: e.target.value, type: undefined })}>
            <option value="">Every domain</option>
            {domains.map((d) => (
              <option key={d}>{d}</option>
            ))}
            {f.domain !== undefined && !domains.includes(f.domain) && <option>{f.domain}</option>}
          </select>
        </label>
        <label>
          Type
          <select value={f.type ?? ''} onChange={(e) => filter({ type: e.target.value })}>
            <option value="">Every type</option>
            {types.map((t) => (
              <option key={t}>{t}</option>
            ))}
            {f.type !== undefined && !types.includes(f.type) && <option>{f.type}</option>}
          </select>
        </label>
        <label>
          Reason
          <select value={f.tsqReason ?? ''} onChange={(e) => filter({ tsqReason: e.target.value })}>
            <option value="">Every reason</option>
            {REASONS.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        {(f.domain || f.type || f.tsqReason) && (
          <button type="button" className="btn btn-link" onClick={() => filter({ domain: undefined, type: undefined, tsqReason: undefined })}>
            Clear filters
          </button>
        )}
      </form>
      <Section
        title="Stuck commands"
        actions={
          canOperate && (
            <BulkRetryButton
              selected={[...selected.values()].map((c) => ({ domain: c.domain, commandId: c.commandId }))}
              onStarted={(started) => {
                setSelected(new Map());
                setBulk(started);
              }}
            />
          )
        }
      >
        {bulk && <BulkProgress key={bulk.id} bulk={bulk} onDismiss={() => setBulk(undefined)} />}
        <Query q={queue} label="Reading the queue">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>{f.domain || f.type || f.tsqReason ? 'No entry matches these filters.' : 'Nothing is stuck. The troubleshooting queue is empty.'}</Empty>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table table-cards" aria-label="Troubleshooting queue">
                    <thead>
                      <tr>
                        {canOperate && (
                          <th scope="col" className="check">
                            <input
                              type="checkbox"
                              aria-label="Select every entry on this page"
                              checked={page.items.every((c) => selected.has(commandKey(c)))}
                              onChange={(e) => setSelected(e.target.checked ? new Map(page.items.map((c) => [commandKey(c), c])) : new Map())}
                            />
                          </th>
                        )}
                        <th scope="col">Command</th>
                        <th scope="col">Reason</th>
                        <th scope="col" className="num">
                          Attempts
                        </th>
                        <th scope="col">Last error</th>
                        <th scope="col">In the queue since</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((c) => (
                        <tr key={commandKey(c)} data-command={commandKey(c)} className={selected.has(commandKey(c)) ? 'selected' : undefined}>
                          {canOperate && (
                            <td className="check">
                              <input type="checkbox" aria-label={`Select ${commandKey(c)}`} checked={selected.has(commandKey(c))} onChange={() => toggle(c)} />
                            </td>
                          )}
                          <td>
                            <Link className="strong" to={`/commands/${encodeURIComponent(c.domain)}/${encodeURIComponent(c.commandId)}`}>
                              {c.commandId}
                            </Link>
                            <div className="muted small">
                              {c.domain} · {c.type}
                            </div>
                          </td>
                          <td data-label="Reason">{c.tsqReason && <Badge value={c.tsqReason} />}</td>
                          <td className="num" data-label="Attempts">
                            {c.attempts}/{c.maxAttempts}
                          </td>
                          <td className="error-cell" data-label="Last error">
                            {c.lastError ? (
                              <>
                                <span className="error-kind">{c.lastError.code ?? c.lastError.kind}</span> {c.lastError.message}
                              </>
                            ) : (
                              <span className="muted">—</span>
                            )}
                          </td>
                          <td data-label="In the queue since">
                            <Ago iso={c.updatedAt} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager nextCursor={page.nextCursor} count={page.items.length} />
              </>
            )
          }
        </Query>
      </Section>
    </Page>
  );
}
