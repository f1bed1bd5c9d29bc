// Executions: each condition with its ordered targets and includes.
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { Empty, Page, Section } from '../../ui/Page';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';

export function Executions() {
  const executions = useQuery({ queryKey: ['executions'], queryFn: () => unwrap(api.GET('/v1/executions')) });
  const targets = useQuery({ queryKey: ['targets', 'all'], queryFn: () => unwrap(api.GET('/v1/targets', { params: { query: { limit: 500 } } })) });
  const names = new Map((targets.data?.items ?? []).map((t) => [t.id, t.name]));
  return (
    <Page title="Executions">
      <Section title="Conditions and their targets">
        <Query q={executions}>
          {(e) =>
            e.items.length === 0 ? (
              <Empty>No execution yet: bind targets to a condition with PUT /v1/executions.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table" aria-label="Executions">
                  <thead>
                    <tr>
                      <th scope="col">Condition</th>
                      <th scope="col">Targets, in order</th>
                      <th scope="col">Changed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {e.items.map((x) => (
                      <tr key={x.id}>
                        <td className="mono strong">{x.condition}</td>
                        <td>
                          <ol className="inline-list">
                            {x.targets.map((t, i) => (
                              <li key={i}>{'target' in t ? <Link to={`/targets/${t.target}`}>{names.get(t.target) ?? t.target}</Link> : <span className="mono">include {t.include}</span>}</li>
                            ))}
                          </ol>
                        </td>
                        <td>
                          <Ago iso={x.changedAt} /> <span className="muted">by {x.changedBy}</span>
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
