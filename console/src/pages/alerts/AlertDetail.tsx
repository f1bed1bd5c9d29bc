import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { duration } from '../../lib/format';
import { Badge } from '../../ui/Badge';
import { Empty, Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading } from '../../ui/QueryState';
import { Ago, At } from '../../ui/Time';
import { lastSeen, percent } from './Alerts';

export function AlertDetail() {
  const { alertId = '' } = useParams();
  const alert = useQuery({ queryKey: ['alert', alertId], queryFn: () => unwrap(api.GET('/v1/alerts/{alertId}', { params: { path: { alertId } } })), refetchInterval: 10_000 });
  if (alert.isPending) return <Page title={`Alert ${alertId}`}><Loading label="Reading the alert" /></Page>;
  if (alert.isError) return <Page title={`Alert ${alertId}`}><ErrorState error={alert.error} onRetry={() => void alert.refetch()} /></Page>;
  const a = alert.data;
  return (
    <Page title={a.name} kicker={`Alert ${a.id}`} back={{ to: '/alerts', label: 'Alerts' }} actions={<Badge value={a.state} />}>
      <Section title="Rule">
        <Facts
          items={[
            ['Scope', `${a.scope}${a.scopeId ? ` ${a.scopeId}` : ' (all)'}`],
            [
              'Fires at',
              a.depthThreshold !== null
                ? `${a.depthThreshold} or more commands parked (at most once per ${duration(a.window * 1000)})`
                : `${percent(a.failureRateThreshold)} failed, at least ${a.minRuns} runs in ${duration(a.window * 1000)}`,
            ],
            ['Evaluated every', duration(a.evaluateEverySeconds * 1000)],
            ['Notifies', <Link to={`/targets/${a.notifyTargetId}`}>{a.notifyTargetId}</Link>],
            ['Last evaluated', <Ago iso={a.lastEvaluatedAt} />],
            ['Last seen', lastSeen(a)],
          ]}
        />
      </Section>
      <Section title="Firings">
        {a.history.length === 0 ? (
          <Empty>It never fired.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" aria-label="Firings">
              <thead>
                <tr>
                  <th scope="col">Fired</th>
                  <th scope="col" className="num">
                    Seen
                  </th>
                  <th scope="col">Notice</th>
                </tr>
              </thead>
              <tbody>
                {a.history.map((h) => (
                  <tr key={h.firedAt}>
                    <td>
                      <At iso={h.firedAt} />
                    </td>
                    <td className="num">{h.depth !== null ? `${h.depth} parked` : `${percent(h.failureRate)} of ${h.runs}`}</td>
                    <td>{h.notifyError ? <span className="error-cell">{h.notifyError}</span> : h.notifyStatus !== null ? `HTTP ${h.notifyStatus}` : 'pending'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </Page>
  );
}
