import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { Badge } from '../../ui/Badge';
import { useFilters } from '../../ui/hooks';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';

export function Workflows() {
  const [f, setFilters] = useFilters(['name', 'cursor'] as const);
  const [name, setName] = useState(f.name ?? '');
  const query = { name: f.name, cursor: f.cursor, limit: 50 };
  const workflows = useQuery({ queryKey: ['workflows', query], queryFn: () => unwrap(api.GET('/v1/workflows', { params: { query } })) });
  const recent = useQuery({ queryKey: ['workflow-runs', 'recent'], queryFn: () => unwrap(api.GET('/v1/workflow-runs', { params: { query: { limit: 10 } } })), refetchInterval: 5_000 });
  return (
    <Page title="Workflows">
      <form
        className="filters"
        role="search"
        aria-label="Search workflows"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({ name: name.trim(), cursor: undefined });
        }}
      >
        <label>
          Name contains
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>
      <Section title="Definitions">
        <Query q={workflows}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No workflow{f.name ? ' matches' : ' yet: create one with POST /v1/workflows'}.</Empty>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table" aria-label="Workflows">
                    <thead>
                      <tr>
                        <th scope="col">Name</th>
                        <th scope="col">Version</th>
                        <th scope="col">Changed</th>
                        <th scope="col">Org</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((w) => (
                        <tr key={w.id}>
                          <td>
                            <Link className="strong" to={`/workflows/${w.id}`}>
                              {w.name}
                            </Link>
                            <div className="muted small mono">{w.id}</div>
                          </td>
                          <td>
                            {w.version}
                            {w.versionLabel && <span className="muted"> ({w.versionLabel})</span>}
                          </td>
                          <td>
                            <Ago iso={w.updatedAt} />
                          </td>
                          <td>{w.orgId ?? <span className="muted">instance</span>}</td>
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
      <Section title="Latest runs">
        <Query q={recent}>{(page) => (page.items.length === 0 ? <Empty>No run yet.</Empty> : <RunTable runs={page.items} showWorkflow />)}</Query>
      </Section>
    </Page>
  );
}

export function RunTable({ runs, showWorkflow = false }: { runs: { id: string; workflowName: string; version: number; status: string; startedAt: string; createdBy: string; error: { message: string; node: string | null } | null }[]; showWorkflow?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Workflow runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            {showWorkflow && <th scope="col">Workflow</th>}
            <th scope="col">Status</th>
            <th scope="col">Version</th>
            <th scope="col">Started</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <Link className="mono" to={`/workflow-runs/${r.id}`}>
                  {r.id}
                </Link>
              </td>
              {showWorkflow && <td>{r.workflowName}</td>}
              <td>
                <Badge value={r.status} />
              </td>
              <td>{r.version}</td>
              <td>
                <Ago iso={r.startedAt} />
              </td>
              <td className="error-cell">{r.error ? `${r.error.node ? `${r.error.node}: ` : ''}${r.error.message}` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
