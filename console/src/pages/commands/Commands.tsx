// Every command, newest first: search by status, domain, type, correlation id and creation time.
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Command } from '../../api/client';
import { Badge } from '../../ui/Badge';
import { useFilters } from '../../ui/hooks';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';

const FILTERS = ['status', 'domain', 'type', 'correlationId', 'createdAfter', 'createdBefore', 'cursor'] as const;
const STATUSES = ['PENDING', 'IN_PROGRESS', 'RETRY_WAIT', 'COMPLETED', 'FAILED', 'CANCELED', 'IN_TROUBLESHOOTING_QUEUE'] as const;
type Status = (typeof STATUSES)[number];

export function Commands() {
  const [f, setFilters] = useFilters(FILTERS);
  const query = {
    status: f.status as Status | undefined,
    domain: f.domain,
    type: f.type,
    correlationId: f.correlationId,
    createdAfter: f.createdAfter,
    createdBefore: f.createdBefore,
    cursor: f.cursor,
    limit: 50,
  };
  const commands = useQuery({ queryKey: ['commands', 'list', query], queryFn: () => unwrap(api.GET('/v1/commands', { params: { query } })) });
  return (
    <Page title="Commands">
      <SearchForm key={JSON.stringify({ ...f, cursor: undefined })} initial={f} onSearch={(next) => setFilters({ ...next, cursor: undefined })} />
      <Section title="Results">
        <Query q={commands} label="Searching">
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No command matches.</Empty>
            ) : (
              <>
                <CommandTable items={page.items} />
                <Pager nextCursor={page.nextCursor} count={page.items.length} />
              </>
            )
          }
        </Query>
      </Section>
    </Page>
  );
}

type Search = Partial<Record<(typeof FILTERS)[number], string>>;

function SearchForm({ initial, onSearch }: { initial: Search; onSearch: (s: Search) => void }) {
  const [s, setS] = useState<Search>(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch({
      status: s.status || undefined,
      domain: s.domain?.trim() || undefined,
      type: s.type?.trim() || undefined,
      correlationId: s.correlationId?.trim() || undefined,
      createdAfter: s.createdAfter || undefined,
      createdBefore: s.createdBefore || undefined,
    });
  };
  const field = (k: keyof Search) => ({ value: s[k] ?? '', onChange: (e: { target: { value: string } }) => setS({ ...s, [k]: e.target.value }) });
  return (
    <form className="filters" role="search" aria-label="Search commands" onSubmit={submit}>
      <label>
        Status
        <select {...field('status')}>
          <option value="">Any status</option>
          {STATUSES.map((st) => (
            <option key={st}>{st}</option>
          ))}
        </select>
      </label>
      <label>
        Domain
        <input {...field('domain')} placeholder="billing" />
      </label>
      <label>
        Type
        <input {...field('type')} placeholder="Charge" />
      </label>
      <label>
        Correlation id
        <input {...field('correlationId')} />
      </label>
      <label>
        Created after
        <input type="datetime-local" value={toLocal(s.createdAfter)} onChange={(e) => setS({ ...s, createdAfter: fromLocal(e.target.value) })} />
      </label>
      <label>
        Created before
        <input type="datetime-local" value={toLocal(s.createdBefore)} onChange={(e) => setS({ ...s, createdBefore: fromLocal(e.target.value) })} />
      </label>
      <button type="submit" className="btn btn-primary">
        Search
      </button>
    </form>
  );
}

// The API takes ISO times with an offset; the input shows local wall time.
function toLocal(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocal(local: string): string | undefined {
  return local === '' ? undefined : new Date(local).toISOString();
}

export function CommandTable({ items }: { items: Command[] }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Commands">
        <thead>
          <tr>
            <th scope="col">Command</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Attempts
            </th>
            <th scope="col">Correlation id</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {items.map((c) => (
            <tr key={`${c.domain}/${c.commandId}`}>
              <td>
                <Link className="strong" to={`/commands/${encodeURIComponent(c.domain)}/${encodeURIComponent(c.commandId)}`}>
                  {c.commandId}
                </Link>
                <div className="muted small">
                  {c.domain} · {c.type}
                </div>
              </td>
              <td>
                <Badge value={c.status} />
              </td>
              <td className="num">{c.totalAttempts}</td>
              <td className="mono small">{c.correlationId}</td>
              <td>
                <Ago iso={c.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
