// An action: its script (read-only, highlighted), its versions, a diff between any two, and
// rollback (which makes a new version equal to an old one).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useCan } from '../../app/me';
import { Badge } from '../../ui/Badge';
import { Code } from '../../ui/Code';
import { Diff } from '../../ui/Diff';
import { Dialog } from '../../ui/Dialog';
import { useFilters } from '../../ui/hooks';
import { Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading, Query } from '../../ui/QueryState';
import { Ago } from '../../ui/Time';
import { getAction, listVersions, rollback, type Level } from './levels';

export function ActionDetail() {
  const { level = 'org', actionId = '' } = useParams() as { level: Level; actionId: string };
  const action = useQuery({ queryKey: ['action', level, actionId], queryFn: () => getAction(level, actionId) });
  const versions = useQuery({ queryKey: ['action-versions', level, actionId], queryFn: () => listVersions(level, actionId) });
  const [f, setFilters] = useFilters(['from', 'to'] as const);
  const canAdmin = useCan('admin');

  if (action.isPending) return <Page title={`Action ${actionId}`}><Loading label="Reading the action" /></Page>;
  if (action.isError) return <Page title={`Action ${actionId}`}><ErrorState error={action.error} onRetry={() => void action.refetch()} /></Page>;
  const a = action.data;
  const all = versions.data?.items ?? [];
  const to = Number(f.to ?? a.version);
  const from = Number(f.from ?? Math.max(1, to - 1));
  const before = all.find((v) => v.version === from);
  const after = all.find((v) => v.version === to);

  return (
    <Page title={a.name} kicker={`${level === 'instance' ? 'Instance' : 'Org'} action ${a.id}`} back={{ to: '/actions', label: 'Actions' }} actions={<Badge value={a.state} />}>
      <Section title={`Script · version ${a.version}`}>
        <Facts
          items={[
            ['Script API', a.api],
            ['Timeout', `${a.timeoutSeconds} s`],
            ['Allowed to fail', a.allowedToFail ? 'yes' : 'no'],
            ['Changed', <Ago iso={a.changedAt} />],
            ['Changed by', a.changedBy],
            ['Org', a.orgId ?? 'instance'],
          ]}
        />
        <Code source={a.script} label={`Script of ${a.name}`} />
      </Section>
      <Section title="Versions">
        <Query q={versions}>
          {(v) => (
            <div className="table-wrap">
              <table className="table" aria-label="Versions">
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      Version
                    </th>
                    <th scope="col">Created</th>
                    <th scope="col">By</th>
                    <th scope="col">Script hash</th>
                    <th scope="col">Note</th>
                    {canAdmin && <th scope="col">Rollback</th>}
                  </tr>
                </thead>
                <tbody>
                  {[...v.items].reverse().map((x) => (
                    <tr key={x.version}>
                      <td className="num strong">{x.version}</td>
                      <td>
                        <Ago iso={x.createdAt} />
                      </td>
                      <td>{x.createdBy}</td>
                      <td className="mono small">{x.scriptHash.slice(0, 12)}</td>
                      <td className="muted">{[x.version === a.version ? 'current' : '', x.rolledBackFrom !== null ? `rollback to ${x.rolledBackFrom}` : ''].filter(Boolean).join(' · ')}</td>
                      {canAdmin && <td>{x.version !== a.version && <Rollback level={level} actionId={a.id} version={x.version} />}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Query>
      </Section>
      {all.length > 1 && (
        <Section
          title="Compare versions"
          actions={
            <div className="inline-fields">
              <label className="inline-field">
                From
                <select value={from} onChange={(e) => setFilters({ from: e.target.value })}>
                  {all.map((x) => (
                    <option key={x.version} value={x.version}>
                      {x.version}
                    </option>
                  ))}
                </select>
              </label>
              <label className="inline-field">
                To
                <select value={to} onChange={(e) => setFilters({ to: e.target.value })}>
                  {all.map((x) => (
                    <option key={x.version} value={x.version}>
                      {x.version}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          }
        >
          {before && after && <Diff before={before.script} after={after.script} label={`Changes from version ${from} to ${to}`} />}
        </Section>
      )}
    </Page>
  );
}

function Rollback({ level, actionId, version }: { level: Level; actionId: string; version: number }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const roll = useMutation({
    mutationFn: () => rollback(level, actionId, version),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['action', level, actionId] });
      void client.invalidateQueries({ queryKey: ['action-versions', level, actionId] });
      setOpen(false);
    },
  });
  return (
    <>
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        Roll back to {version}
      </button>
      <Dialog title={`Roll back to version ${version}?`} open={open} onClose={() => setOpen(false)} onConfirm={() => roll.mutate()} confirmLabel="Roll back" busy={roll.isPending} error={roll.error}>
        <p>A new version is made, equal to version {version}. Runs that start from now on use it; nothing is deleted.</p>
      </Dialog>
    </>
  );
}
