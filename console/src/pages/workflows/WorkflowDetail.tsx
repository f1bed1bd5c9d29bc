// A workflow: its versions (each drawn as its graph) and its runs.
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useFilters } from '../../ui/hooks';
import { Json } from '../../ui/Json';
import { Empty, Facts, Page, Section } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ErrorState, Loading, Query } from '../../ui/QueryState';
import { Ago, At } from '../../ui/Time';
import { RunGraph } from './RunGraph';
import { RunTable } from './Workflows';

const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'timed_out'] as const;

export function WorkflowDetail() {
  const { workflowId = '' } = useParams();
  const [f, setFilters] = useFilters(['version', 'status', 'cursor'] as const);
  const workflow = useQuery({ queryKey: ['workflow', workflowId], queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}', { params: { path: { workflowId } } })) });
  const versions = useQuery({
    queryKey: ['workflow-versions', workflowId],
    queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}/versions', { params: { path: { workflowId }, query: { limit: 500 } } })),
  });
  const shown = f.version !== undefined ? Number(f.version) : workflow.data?.version;
  const version = useQuery({
    queryKey: ['workflow-version', workflowId, shown],
    queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}/versions/{version}', { params: { path: { workflowId, version: shown! } } })),
    enabled: shown !== undefined,
    staleTime: Infinity,
  });
  const runQuery = { status: f.status as (typeof RUN_STATUSES)[number] | undefined, cursor: f.cursor, limit: 25 };
  const runs = useQuery({
    queryKey: ['workflow-runs', workflowId, runQuery],
    queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}/runs', { params: { path: { workflowId }, query: runQuery } })),
    refetchInterval: 5_000,
  });

  if (workflow.isPending) return <Page title={`Workflow ${workflowId}`}><Loading label="Reading the workflow" /></Page>;
  if (workflow.isError) return <Page title={`Workflow ${workflowId}`}><ErrorState error={workflow.error} onRetry={() => void workflow.refetch()} /></Page>;
  const w = workflow.data;
  return (
    <Page title={w.name} kicker={`Workflow ${w.id}`} back={{ to: '/workflows', label: 'Workflows' }}>
      <Section title="Workflow">
        <Facts
          items={[
            ['Latest version', `${w.version}${w.versionLabel ? ` (${w.versionLabel})` : ''}`],
            ['Created', <At iso={w.createdAt} />],
            ['Created by', w.createdBy],
            ['Changed', <Ago iso={w.updatedAt} />],
            ['Org', w.orgId ?? 'instance'],
          ]}
        />
      </Section>
      <Section
        title={`Version ${shown ?? ''}`}
        actions={
          <label className="inline-field">
            Version
            <select value={shown ?? ''} onChange={(e) => setFilters({ version: e.target.value })}>
              {(versions.data?.items ?? []).map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                  {v.label ? ` (${v.label})` : ''} · {v.createdBy}
                </option>
              ))}
            </select>
          </label>
        }
      >
        <Query q={version} label="Reading the version">
          {(v) => (
            <>
              <RunGraph definition={v.definition} label={`Graph of version ${v.version}`} />
              <details>
                <summary>Definition (n8n JSON)</summary>
                <Json value={v.definition} expandDepth={1} label="Definition" />
              </details>
            </>
          )}
        </Query>
      </Section>
      <Section
        title="Runs"
        actions={
          <label className="inline-field">
            Status
            <select value={f.status ?? ''} onChange={(e) => setFilters({ status: e.target.value, cursor: undefined })}>
              <option value="">Any</option>
              {RUN_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        }
      >
        <Query q={runs}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>No run{f.status ? ` is ${f.status}` : ' yet'}.</Empty>
            ) : (
              <>
                <RunTable runs={page.items} />
                <Pager nextCursor={page.nextCursor} count={page.items.length} />
              </>
            )
          }
        </Query>
      </Section>
    </Page>
  );
}
