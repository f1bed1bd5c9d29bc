import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { Empty, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';
import { useFilters } from '../../ui/hooks';

export function Targets() {
  const [f] = useFilters(['cursor'] as const);
  const query = { cursor: f.cursor, limit: 100 };
  const targets = useQuery({ queryKey: ['targets', query], queryFn: () => unwrap(api.GET('/v1/targets', { params: { query } })) });
  return (
    <Page title="Targets">
      <Section title="HTTP targets">
        <Query q={targets}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No target yet: create one with POST /v1/targets.</Empty>
            ) : (
              <>
                <div className="table-wrap">
                  <table className="table" aria-label="Targets">
                    <thead>
                      <tr>
                        <th scope="col">Target</th>
                        <th scope="col">Type</th>
                        <th scope="col">Endpoint</th>
                        <th scope="col" className="num">
                          Timeout
                        </th>
                        <th scope="col">Interrupts on error</th>
                        <th scope="col">Changed</th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((t) => (
                        <tr key={t.id}>
                          <td>
                            <Link className="strong" to={`/targets/${t.id}`}>
                              {t.name}
                            </Link>
                          </td>
                          <td>{t.type}</td>
                          <td className="mono small break">{t.endpoint}</td>
                          <td className="num">{t.timeoutSeconds} s</td>
                          <td>{t.interruptOnError ? 'yes' : 'no'}</td>
                          <td>
                            <Ago iso={t.changedAt} />
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
