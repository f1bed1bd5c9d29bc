// One workflow run: its graph with every node coloured by state; the selected node's input,
// output and error; rerun from a node; the approval a waiting node expects; cancel.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useCan, useTemporalLink } from '../../app/me';
import { between } from '../../lib/format';
import { graphOf, type GraphNode } from '../../lib/graph';
import { Badge } from '../../ui/Badge';
import { Dialog } from '../../ui/Dialog';
import { useFilters, useNow } from '../../ui/hooks';
import { Json } from '../../ui/Json';
import { Empty, Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading } from '../../ui/QueryState';
import { At } from '../../ui/Time';
import { RunGraph } from './RunGraph';

type Run = Schemas['WorkflowRun'];
type RunNode = Schemas['WorkflowRunNode'];

export function WorkflowRun() {
  const { runId = '' } = useParams();
  const now = useNow(2_000);
  // Selecting a node replaces the URL, so Back leaves the run instead of stepping through clicks.
  const [{ node: selected }, setFilters] = useFilters(['node'] as const, { replace: true });
  const run = useQuery({
    queryKey: ['workflow-run', runId],
    queryFn: () => unwrap(api.GET('/v1/workflow-runs/{runId}', { params: { path: { runId } } })),
    refetchInterval: (q) => (q.state.data?.status === 'running' ? 1_000 : false),
  });
  const version = useQuery({
    queryKey: ['workflow-version', run.data?.workflowId, run.data?.version],
    queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}/versions/{version}', { params: { path: { workflowId: run.data!.workflowId, version: run.data!.version } } })),
    enabled: run.isSuccess,
    staleTime: Infinity,
  });
  const canOperate = useCan('operator');
  const temporal = useTemporalLink(run.data?.temporalWorkflowId ?? '');

  const title = `Workflow run ${runId}`;
  if (run.isPending || (run.isSuccess && version.isPending))
    return (
      <Page title={title}>
        <Loading label="Reading the run" />
      </Page>
    );
  if (run.isError || version.isError)
    return (
      <Page title={title}>
        <ErrorState error={run.error ?? version.error} onRetry={() => void (run.isError ? run.refetch() : version.refetch())} />
      </Page>
    );
  const r = run.data;
  const definition = version.data!.definition;
  const graph = graphOf(definition);
  const statuses = new Map((r.nodes ?? []).map((n) => [n.name, n.status]));
  const select = (name: string) => setFilters({ node: name });
  const node = graph.nodes.find((n) => n.name === selected);

  return (
    <Page
      title={r.workflowName}
      kicker={`Workflow run ${r.id} · version ${r.version}`}
      back={{ to: `/workflows/${r.workflowId}`, label: r.workflowName }}
      actions={
        <>
          <Badge value={r.status} />
          {canOperate && r.status === 'running' && <CancelRun runId={r.id} />}
          {temporal && (
            <a className="btn btn-small" href={temporal} target="_blank" rel="noreferrer">
              Open in Temporal Web UI ↗
            </a>
          )}
        </>
      }
    >
      {r.error && (
        <div className="banner banner-bad" role="status">
          <strong>{r.error.node ? `${r.error.node} failed:` : 'The run failed:'}</strong> {r.error.message}
          {r.error.node && selected !== r.error.node && (
            <button type="button" className="btn btn-small" onClick={() => select(r.error!.node!)}>
              Show the node
            </button>
          )}
        </div>
      )}
      <Section title="Graph" actions={<Legend />}>
        <RunGraph definition={definition} statuses={statuses} selected={selected} onSelect={select} label={`Graph of run ${r.id}`} />
      </Section>
      <div className="run-layout">
        <NodePanel run={r} node={node} record={(r.nodes ?? []).find((n) => n.name === selected)} canOperate={canOperate} />
        <Section title="Nodes">
          <NodeTable graph={graph.nodes} records={r.nodes ?? []} selected={selected} onSelect={select} />
        </Section>
      </div>
      <Section title="Run">
        <Facts
          items={[
            ['Status', <Badge value={r.status} />],
            ['Started', <At iso={r.startedAt} />],
            ['Took', between(r.startedAt, r.finishedAt, now)],
            ['Started by', r.createdBy],
            ['Rerun of', r.retryOf ? <Link to={`/workflow-runs/${r.retryOf}`}>{r.retryOf}</Link> : null],
            ['Parent run', r.parentRunId ? <Link to={`/workflow-runs/${r.parentRunId}`}>{r.parentRunId}</Link> : null],
          ]}
        />
        <h3>Input</h3>
        <Json value={r.input} label="Run input" />
      </Section>
    </Page>
  );
}

function Legend() {
  return (
    <ul className="legend" aria-label="Node states">
      {['completed', 'running', 'waiting', 'failed', 'skipped', 'pending'].map((s) => (
        <li key={s}>
          <span className={`legend-swatch state-${s}`} aria-hidden="true" />
          {s === 'pending' ? 'not run' : s}
        </li>
      ))}
    </ul>
  );
}

function NodeTable({ graph, records, selected, onSelect }: { graph: GraphNode[]; records: RunNode[]; selected?: string; onSelect: (n: string) => void }) {
  const now = useNow(2_000);
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Nodes of the run">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Attempts
            </th>
            <th scope="col" className="num">
              Took
            </th>
          </tr>
        </thead>
        <tbody>
          {graph.map((g) => {
            const n = records.find((x) => x.name === g.name);
            return (
              <tr key={g.name} className={g.name === selected ? 'selected' : undefined}>
                <td>
                  <button type="button" className="btn-link strong" onClick={() => onSelect(g.name)} aria-pressed={g.name === selected}>
                    {g.name}
                  </button>
                </td>
                <td>
                  <Badge value={n?.status ?? 'pending'} title={n ? n.status : 'not run'} />
                </td>
                <td className="num">{n?.attempts ?? ''}</td>
                <td className="num">{n?.startedAt ? between(n.startedAt, n.finishedAt, now) : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function NodePanel({ run, node, record, canOperate }: { run: Run; node?: GraphNode; record?: RunNode; canOperate: boolean }) {
  if (node === undefined)
    return (
      <Section title="Node">
        <Empty>Select a node in the graph or the table to see its input, output and error.</Empty>
      </Section>
    );
  const status = record?.status ?? 'pending';
  const waitsForSignal = status === 'waiting' && node.signalName !== undefined && run.status === 'running';
  return (
    <section className="card node-panel" aria-labelledby="node-title">
      <div className="card-head">
        <h2 id="node-title">{node.name}</h2>
        <Badge value={status} />
      </div>
      <p className="muted small">{node.type}</p>
      {(canOperate && run.status !== 'running') || (canOperate && waitsForSignal) ? (
        <div className="operator-actions">
          {run.status !== 'running' && <Rerun run={run} from={node.name} />}
          {waitsForSignal && <Approve run={run} signal={node.signalName!} />}
        </div>
      ) : null}
      {waitsForSignal && !canOperate && <p className="muted">Waiting for the signal “{node.signalName}”; sending it needs an operator key.</p>}
      {record === undefined ? (
        <Empty>This node did not run.</Empty>
      ) : (
        <>
          <Facts
            items={[
              ['Attempts', String(record.attempts)],
              ['Started', <At iso={record.startedAt} />],
              ['Finished', <At iso={record.finishedAt} />],
              ['Handled by', record.handledBy],
              ['Output reused from', record.reusedFromRun ? <Link to={`/workflow-runs/${record.reusedFromRun}`}>{record.reusedFromRun}</Link> : null],
            ]}
          />
          {record.error && (
            <div className="last-error" role="status">
              <h3>Error</h3>
              <p>{record.error.message}</p>
            </div>
          )}
          <h3>Input items</h3>
          <Json value={record.input} label={`Input of ${node.name}`} expandDepth={5} />
          <h3>Output items</h3>
          {record.output === null || record.output === undefined ? <p className="muted">No output.</p> : <Json value={record.output} label={`Output of ${node.name}`} expandDepth={5} />}
        </>
      )}
    </section>
  );
}

function Rerun({ run, from }: { run: Run; from: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const latest = useQuery({
    queryKey: ['workflow', run.workflowId],
    queryFn: () => unwrap(api.GET('/v1/workflows/{workflowId}', { params: { path: { workflowId: run.workflowId } } })),
    enabled: open,
  });
  const [useLatest, setUseLatest] = useState(false);
  const rerun = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/v1/workflow-runs/{runId}/retry', { params: { path: { runId: run.id } }, body: { fromNode: from, ...(useLatest && latest.data ? { version: latest.data.version } : {}) } })),
    onSuccess: (started) => {
      void client.invalidateQueries({ queryKey: ['workflow-runs'] });
      setOpen(false);
      navigate(`/workflow-runs/${started.id}`);
    },
  });
  const newer = latest.data !== undefined && latest.data.version > run.version;
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => setOpen(true)}>
        Rerun from this node
      </button>
      <Dialog title={`Rerun from ${from}?`} open={open} onClose={() => setOpen(false)} onConfirm={() => rerun.mutate()} confirmLabel="Start the rerun" busy={rerun.isPending} error={rerun.error}>
        <p>A new run starts: “{from}” and every node after it run again; the other nodes keep the outputs they produced in this run.</p>
        {newer && (
          <label className="field-inline">
            <input type="checkbox" checked={useLatest} onChange={(e) => setUseLatest(e.target.checked)} /> Use the latest version ({latest.data!.version}) instead of {run.version}
          </label>
        )}
      </Dialog>
    </>
  );
}

function Approve({ run, signal }: { run: Run; signal: string }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('{\n  "approved": true\n}');
  let payload: Record<string, unknown> | undefined;
  let invalid: string | undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) payload = v as Record<string, unknown>;
    else invalid = 'must be a JSON object';
  } catch (err) {
    invalid = (err as Error).message;
  }
  const send = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/workflow-runs/{runId}/signals/{name}', { params: { path: { runId: run.id, name: signal } }, body: payload ?? {} })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['workflow-run', run.id] });
      setOpen(false);
    },
  });
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => setOpen(true)}>
        Approve ({signal})
      </button>
      <Dialog title={`Send “${signal}” to this run?`} open={open} onClose={() => setOpen(false)} onConfirm={() => send.mutate()} confirmLabel="Send the signal" canConfirm={invalid === undefined} busy={send.isPending} error={send.error}>
        <p>The waiting node resumes; this JSON becomes its output item.</p>
        <label className="field">
          Signal body (JSON object)
          <textarea className="mono" rows={5} value={text} onChange={(e) => setText(e.target.value)} aria-invalid={invalid !== undefined} spellCheck={false} />
        </label>
        {invalid && <p className="form-error">Not valid: {invalid}</p>}
      </Dialog>
    </>
  );
}

function CancelRun({ runId }: { runId: string }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const cancel = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/workflow-runs/{runId}/cancel', { params: { path: { runId } } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['workflow-run', runId] });
      setOpen(false);
    },
  });
  return (
    <>
      <button type="button" className="btn btn-danger-outline" onClick={() => setOpen(true)}>
        Cancel run
      </button>
      <Dialog title="Cancel this run?" open={open} onClose={() => setOpen(false)} onConfirm={() => cancel.mutate()} confirmLabel="Cancel the run" confirmTone="danger" busy={cancel.isPending} error={cancel.error}>
        <p>Running nodes are cancelled and the run ends cancelled. Commands it already sent are not cancelled.</p>
      </Dialog>
    </>
  );
}
