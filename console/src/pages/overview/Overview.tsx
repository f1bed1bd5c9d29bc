// The first screen: what is stuck, what is failing, what fired. Refreshes every few seconds.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { Badge } from '../../ui/Badge';
import { useNow } from '../../ui/hooks';
import { Empty, Page, Section } from '../../ui/Page';
import { Live } from '../../ui/Live';
import { Query } from '../../ui/QueryState';
import { Ago, At } from '../../ui/Time';

const REFRESH_MS = 5_000;
const DAY_MS = 24 * 3600 * 1000;

const STATUSES: { status: keyof Schemas['CommandCounts'] & string; label: string }[] = [
  { status: 'IN_TROUBLESHOOTING_QUEUE', label: 'Troubleshooting queue' },
  { status: 'FAILED', label: 'Failed' },
  { status: 'RETRY_WAIT', label: 'Waiting to retry' },
  { status: 'IN_PROGRESS', label: 'In progress' },
  { status: 'PENDING', label: 'Pending' },
  { status: 'COMPLETED', label: 'Completed' },
  { status: 'CANCELED', label: 'Canceled' },
];

export function Overview() {
  const counts = useQuery({ queryKey: ['commands', 'counts'], queryFn: () => unwrap(api.GET('/v1/commands/counts')), refetchInterval: REFRESH_MS });
  return (
    <Page title="Overview" actions={<Live updatedAt={counts.dataUpdatedAt} fetching={counts.isFetching} />}>
      <Section title="Commands by status">
        <Query q={counts} label="Counting commands">
          {(c) => (
            <ul className="tiles">
              {STATUSES.map(({ status, label }) => (
                <li key={status}>
                  <Link className={tileClass(status, c[status] ?? 0)} to={status === 'IN_TROUBLESHOOTING_QUEUE' ? '/troubleshooting' : `/commands?status=${status}`}>
                    <span className="tile-count">{(c[status] ?? 0).toLocaleString()}</span>
                    <span className="tile-label">{label}</span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </Query>
      </Section>
      <div className="columns">
        <QueueDepth />
        <FiredAlerts />
      </div>
      <FailingRuns />
      <Milestones />
    </Page>
  );
}

/** ": <message>" of a run's error, when it has one. */
function runError(error: Record<string, unknown> | null): string {
  return typeof error?.message === 'string' ? `: ${error.message}` : '';
}

function tileClass(status: string, count: number): string {
  if (count === 0) return 'tile tile-zero';
  if (status === 'IN_TROUBLESHOOTING_QUEUE') return 'tile tile-alert';
  return status === 'FAILED' ? 'tile tile-failed' : 'tile';
}

function QueueDepth() {
  const depth = useQuery({ queryKey: ['troubleshooting', 'counts'], queryFn: () => unwrap(api.GET('/v1/troubleshooting/counts')), refetchInterval: REFRESH_MS });
  return (
    <Section title="Troubleshooting queue by domain" actions={<Link to="/troubleshooting">Open the queue</Link>}>
      <Query q={depth}>
        {(d) => {
          const byDomain = new Map<string, { count: number; reasons: Map<string, number> }>();
          for (const g of d.items) {
            const entry = byDomain.get(g.domain) ?? { count: 0, reasons: new Map() };
            entry.count += g.count;
            entry.reasons.set(g.tsqReason, (entry.reasons.get(g.tsqReason) ?? 0) + g.count);
            byDomain.set(g.domain, entry);
          }
          if (byDomain.size === 0) return <Empty>Nothing is stuck. The troubleshooting queue is empty.</Empty>;
          return (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Domain</th>
                  <th scope="col" className="num">
                    Entries
                  </th>
                  <th scope="col">Reasons</th>
                </tr>
              </thead>
              <tbody>
                {[...byDomain].map(([domain, e]) => (
                  <tr key={domain}>
                    <td>
                      <Link to={`/troubleshooting?domain=${encodeURIComponent(domain)}`}>{domain}</Link>
                    </td>
                    <td className="num strong">{e.count}</td>
                    <td className="badges">
                      {[...e.reasons].map(([reason, n]) => (
                        <span key={reason}>
                          <Badge value={reason} /> {n}
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Query>
    </Section>
  );
}

function FiredAlerts() {
  const now = useNow(60_000);
  const alerts = useQuery({ queryKey: ['alerts'], queryFn: () => unwrap(api.GET('/v1/alerts')), refetchInterval: REFRESH_MS });
  return (
    <Section title="Alerts that fired" actions={<Link to="/alerts">All alerts</Link>}>
      <Query q={alerts}>
        {(a) => {
          const fired = a.items.filter((x) => x.state === 'firing' || (x.lastFiredAt !== null && now - Date.parse(x.lastFiredAt) < DAY_MS));
          if (fired.length === 0) return <Empty>No alert fired in the last 24 hours{a.items.length === 0 ? ' (none is set up)' : ''}.</Empty>;
          return (
            <ul className="list">
              {fired.map((x) => (
                <li key={x.id}>
                  <Link to={`/alerts/${x.id}`}>{x.name}</Link> <Badge value={x.state} />
                  <div className="list-meta">
                    fired <Ago iso={x.lastFiredAt} />
                    {x.lastRate !== null && ` · ${Math.round(x.lastRate * 100)}% failed of ${x.lastRuns ?? 0}`}
                  </div>
                </li>
              ))}
            </ul>
          );
        }}
      </Query>
    </Section>
  );
}

function FailingRuns() {
  const now = useNow(60_000);
  const since = new Date(Math.floor((now - DAY_MS) / 60_000) * 60_000).toISOString();
  const runs = useQuery({
    queryKey: ['runs', { state: 'failed', since }],
    queryFn: () => unwrap(api.GET('/v1/runs', { params: { query: { state: 'failed', since, limit: 10 } } })),
    refetchInterval: REFRESH_MS,
  });
  const dagRuns = useQuery({
    queryKey: ['workflow-runs', { status: 'failed' }],
    queryFn: () => unwrap(api.GET('/v1/workflow-runs', { params: { query: { status: 'failed', limit: 10 } } })),
    refetchInterval: REFRESH_MS,
  });
  return (
    <div className="columns">
      <Section title="Failing flow and execution runs (24 h)" actions={<Link to="/runs?state=failed">All failed runs</Link>}>
        <Query q={runs}>
          {(r) =>
            r.items.length === 0 ? (
              <Empty>No flow or execution run failed in the last 24 hours.</Empty>
            ) : (
              <ul className="list">
                {r.items.map((run) => (
                  <li key={run.id}>
                    <Link to={`/runs/${run.id}`}>{run.kind === 'execution' ? run.triggerType : `${run.flowType} · ${run.triggerType}`}</Link>
                    <div className="list-meta">
                      <Ago iso={run.startedAt} /> · {run.kind} run{runError(run.error)}
                    </div>
                  </li>
                ))}
              </ul>
            )
          }
        </Query>
      </Section>
      <Section title="Failing workflow runs" actions={<Link to="/workflows">Workflows</Link>}>
        <Query q={dagRuns}>
          {(r) =>
            r.items.length === 0 ? (
              <Empty>No workflow run failed.</Empty>
            ) : (
              <ul className="list">
                {r.items.map((run) => (
                  <li key={run.id}>
                    <Link to={`/workflow-runs/${run.id}`}>{run.error?.node ? `${run.workflowName} · ${run.error.node}` : run.workflowName}</Link>
                    <div className="list-meta">
                      <Ago iso={run.startedAt} /> · {run.error?.message ?? 'failed'}
                    </div>
                  </li>
                ))}
              </ul>
            )
          }
        </Query>
      </Section>
    </div>
  );
}

/** milestone_name → "Milestone name". */
const milestoneLabel = (name: string) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');

function Milestones() {
  const milestones = useQuery({ queryKey: ['milestones'], queryFn: () => unwrap(api.GET('/v1/milestones')), refetchInterval: REFRESH_MS });
  return (
    <Section title="Milestones">
      <Query q={milestones}>
        {(m) => (
          <table className="table" aria-label="Milestones">
            <thead>
              <tr>
                <th scope="col">Milestone</th>
                <th scope="col">Reached</th>
                <th scope="col">Pushed</th>
              </tr>
            </thead>
            <tbody>
              {m.items.map((x) => (
                <tr key={x.milestone}>
                  <td title={`reached by ${x.reachedBy}`}>{milestoneLabel(x.milestone)}</td>
                  <td>{x.reachedAt === null ? <span className="muted">not yet</span> : <At iso={x.reachedAt} />}</td>
                  <td>
                    <At iso={x.pushedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Query>
    </Section>
  );
}
