// Flow runs (actions) and execution runs (target calls), newest first.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { between } from '../../lib/format';
import { Badge } from '../../ui/Badge';
import { useFilters, useNow } from '../../ui/hooks';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';

const FILTERS = ['kind', 'state', 'cursor'] as const;

export function Runs() {
  const now = useNow(5_000);
  const [f, setFilters] = useFilters(FILTERS);
  const query = { kind: f.kind as 'flow' | 'execution' | undefined, state: f.state as 'running' | 'succeeded' | 'failed' | undefined, cursor: f.cursor, limit: 50 };
  const runs = useQuery({ queryKey: ['runs', 'list', query], queryFn: () => unwrap(api.GET('/v1/runs', { params: { query } })), refetchInterval: 10_000 });
  return (
    <Page title="Runs">
      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Kind
          <select value={f.kind ?? ''} onChange={(e) => setFilters({ kind: e.target.value, cursor: undefined })}>
            <option value="">Flow and execution runs</option>
            <option value="flow">Flow runs (actions)</option>
            <option value="execution">Execution runs (targets)</option>
          </select>
        </label>
        <label>
          State
          <select value={f.state ?? ''} onChange={(e) => setFilters({ state: e.target.value, cursor: undefined })}>
            <option value="">Any state</option>
            <option value="running">running</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </form>
      <Section title="Runs">
        <Query q={runs}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No run matches.</Empty>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table" aria-label="Runs">
                    <thead>
                      <tr>
                        <th scope="col">Run</th>
                        <th scope="col">Kind</th>
                        <th scope="col">State</th>
                        <th scope="col">Started</th>
                        <th scope="col" className="num">
                          Took
                        </th>
                        <th scope="col">By</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((r) => (
                        <tr key={r.id}>
                          <td>
                            <Link className="strong" to={`/runs/${r.id}`}>
                              {r.kind === 'execution' ? r.triggerType : `${r.flowType} · ${r.triggerType}`}
                            </Link>
                            <div className="muted small mono">{r.id}</div>
                          </td>
                          <td>{r.kind}</td>
                          <td>
                            <Badge value={r.state} />
                            {r.retryOf && <span className="muted small"> retry</span>}
                          </td>
                          <td>
                            <Ago iso={r.startedAt} />
                          </td>
                          <td className="num">{between(r.startedAt, r.endedAt, now)}</td>
                          <td>{r.createdBy}</td>
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
