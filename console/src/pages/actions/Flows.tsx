// Every flow type and trigger with the actions it runs, in order (instance actions first).
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useMe } from '../../app/me';
import { Badge } from '../../ui/Badge';
import { Page, Section } from '../../ui/Page';
import { Query } from '../../ui/QueryState';
import { levelsOf, listFlows, type Level } from './levels';

export function Flows() {
  const levels = levelsOf(useMe());
  return (
    <Page title="Flows">
      {levels.map((l) => (
        <FlowList key={l} level={l} />
      ))}
      {!levels.includes('org') && <p className="hint">Org flows: pick an org in Scope at the top.</p>}
    </Page>
  );
}

function FlowList({ level }: { level: Level }) {
  const flows = useQuery({ queryKey: ['flows', level], queryFn: () => listFlows(level) });
  return (
    <Section title={level === 'instance' ? 'Instance flows' : 'Org flows'}>
      <Query q={flows}>
        {(f) => (
          <div className="flow-grid">
            {f.items.map((flow) => (
              <article key={flow.flowType} className="flow" aria-labelledby={`flow-${level}-${flow.flowType}`}>
                <h3 id={`flow-${level}-${flow.flowType}`} className="mono">
                  {flow.flowType}
                </h3>
                <p className="muted small">{flow.description}</p>
                {flow.triggers.map((t) => (
                  <div key={t.triggerType} className="trigger">
                    <h4 className="mono">{t.triggerType}</h4>
                    <p className="muted small">{t.description}</p>
                    {t.actions.length === 0 ? (
                      <p className="small">No action.</p>
                    ) : (
                      <ol className="trigger-actions">
                        {t.actions.map((a) => (
                          <li key={a.id}>
                            <Link className="mono" to={`/actions/${level}/${a.id}`}>
                              {a.name}
                            </Link>{' '}
                            <span className="muted small">v{a.version}</span> {a.state === 'inactive' && <Badge value="inactive" />}
                          </li>
                        ))}
                      </ol>
                    )}
                  </div>
                ))}
              </article>
            ))}
          </div>
        )}
      </Query>
    </Section>
  );
}
