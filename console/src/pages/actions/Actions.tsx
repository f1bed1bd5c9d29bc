import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useMe } from '../../app/me';
import { Badge } from '../../ui/Badge';
import { Empty, Page, Section } from '../../ui/Page';
import { Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';
import { LEVEL_TITLE, levelsOf, listActions, type Level } from './levels';

export function Actions() {
  const me = useMe();
  const levels = levelsOf(me);
  return (
    <Page title="Actions">
      {levels.map((l) => (
        <ActionList key={l} level={l} />
      ))}
      {!levels.includes('org') && <p className="hint">Org actions: pick an org in Scope at the top.</p>}
    </Page>
  );
}

function ActionList({ level }: { level: Level }) {
  const actions = useQuery({ queryKey: ['actions', level], queryFn: () => listActions(level) });
  return (
    <Section title={LEVEL_TITLE[level]}>
      <Query q={actions}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No action at this level.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" aria-label={LEVEL_TITLE[level]}>
                <thead>
                  <tr>
                    <th scope="col">Action</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Version
                    </th>
                    <th scope="col" className="num">
                      Timeout
                    </th>
                    <th scope="col">Allowed to fail</th>
                    <th scope="col">Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((a) => (
                    <tr key={a.id}>
                      <td>
                        <Link className="strong mono" to={`/actions/${level}/${a.id}`}>
                          {a.name}
                        </Link>
                      </td>
                      <td>
                        <Badge value={a.state} />
                      </td>
                      <td className="num">{a.version}</td>
                      <td className="num">{a.timeoutSeconds} s</td>
                      <td>{a.allowedToFail ? 'yes' : 'no'}</td>
                      <td>
                        <Ago iso={a.changedAt} /> <span className="muted">by {a.changedBy}</span>
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
  );
}
