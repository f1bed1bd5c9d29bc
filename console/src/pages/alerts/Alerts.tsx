import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { Badge } from '../../ui/Badge';
import { Empty, Page, Section } from '../../ui/Page';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';

export const percent = (x: number | null) => (x === null ? '—' : `${Math.round(x * 1000) / 10}%`);

/** A depth alert (scope troubleshooting) counts parked commands; the others a failure rate. */
export const threshold = (a: { failureRateThreshold: number | null; depthThreshold: number | null }) =>
  a.depthThreshold !== null ? `${a.depthThreshold} parked` : percent(a.failureRateThreshold);
export const lastSeen = (a: { lastRate: number | null; lastRuns: number | null; lastDepth: number | null }) =>
  a.lastDepth !== null ? `${a.lastDepth} parked` : `${percent(a.lastRate)}${a.lastRuns !== null ? ` of ${a.lastRuns}` : ''}`;

export function Alerts() {
  const alerts = useQuery({ queryKey: ['alerts'], queryFn: () => unwrap(api.GET('/v1/alerts')), refetchInterval: 10_000 });
  return (
    <Page title="Alerts">
      <Section title="Failure-rate and queue-depth alerts">
        <Query q={alerts}>
          {(a) =>
            a.items.length === 0 ? (
              <Empty>No alert yet: create one with POST /v1/alerts.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" aria-label="Alerts">
                  <thead>
                    <tr>
                      <th scope="col">Alert</th>
                      <th scope="col">State</th>
                      <th scope="col">Scope</th>
                      <th scope="col" className="num">
                        Threshold
                      </th>
                      <th scope="col" className="num">
                        Last seen
                      </th>
                      <th scope="col">Last fired</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.items.map((x) => (
                      <tr key={x.id}>
                        <td>
                          <Link className="strong" to={`/alerts/${x.id}`}>
                            {x.name}
                          </Link>
                        </td>
                        <td>
                          <Badge value={x.state} />
                        </td>
                        <td>
                          {x.scope}
                          {x.scopeId && <span className="muted"> {x.scopeId}</span>}
                        </td>
                        <td className="num">{threshold(x)}</td>
                        <td className="num">{lastSeen(x)}</td>
                        <td>
                          <Ago iso={x.lastFiredAt} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Query>
      </Section>
    </Page>
  );
}
