// The trace of one run: each action step (version, timing, error, log lines) or each target
// call attempt (request, response, status, timing), and a retry of a failed run.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useCan, useTemporalLink } from '../../app/me';
import { between, duration } from '../../lib/format';
import { Badge } from '../../ui/Badge';
import { Dialog } from '../../ui/Dialog';
import { useNow } from '../../ui/hooks';
import { Json } from '../../ui/Json';
import { Empty, Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading } from '../../ui/QueryState';
import { At } from '../../ui/Time';

type Trace = Schemas['RunTrace'];

export function RunDetail() {
  const { runId = '' } = useParams();
  const now = useNow(2_000);
  const run = useQuery({
    queryKey: ['run', runId],
    queryFn: () => unwrap(api.GET('/v1/runs/{runId}', { params: { path: { runId } } })),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 1_000 : false),
  });
  const canOperate = useCan('operator');
  const temporal = useTemporalLink(run.data?.workflowId ?? '');
  if (run.isPending) return <Page title={`Run ${runId}`}><Loading label="Reading the run" /></Page>;
  if (run.isError) return <Page title={`Run ${runId}`}><ErrorState error={run.error} onRetry={() => void run.refetch()} /></Page>;
  const r = run.data;
  return (
    <Page
      title={r.kind === 'execution' ? r.triggerType : `${r.flowType} · ${r.triggerType}`}
      kicker={`${r.kind} run ${r.id}`}
      back={{ to: '/runs', label: 'Runs' }}
      actions={
        <>
          <Badge value={r.state} />
          {canOperate && r.state === 'failed' && <RetryRun runId={r.id} />}
          {temporal && (
            <a className="btn btn-small" href={temporal} target="_blank" rel="noreferrer">
              Open in Temporal Web UI ↗
            </a>
          )}
        </>
      }
    >
      <Section title="Run">
        <Facts
          items={[
            ['State', <Badge value={r.state} />],
            ['Started', <At iso={r.startedAt} />],
            ['Took', between(r.startedAt, r.endedAt, now)],
            ['Started by', r.createdBy],
            ['Retry of', r.retryOf ? <Link to={`/runs/${r.retryOf}`}>{r.retryOf}</Link> : null],
            ['Org', r.orgId],
          ]}
        />
        {r.error && <RunError error={r.error} />}
      </Section>
      {r.kind === 'flow' ? <Steps steps={r.steps} /> : <Calls calls={r.calls} />}
      <div className="columns">
        <Section title={r.kind === 'execution' ? 'Input body' : 'Context in'}>
          <Json value={r.contextIn} label="Input" />
        </Section>
        <Section title={r.kind === 'execution' ? 'Output body' : 'Context out'}>{r.contextOut ? <Json value={r.contextOut} label="Output" /> : <Empty>{r.state === 'running' ? 'None yet.' : 'None.'}</Empty>}</Section>
      </div>
    </Page>
  );
}

function RunError({ error }: { error: Record<string, unknown> }) {
  const text = (key: string) => (typeof error[key] === 'string' ? (error[key] as string) : undefined);
  return (
    <div className="last-error">
      <p>
        {text('kind') && <span className="error-kind">{text('kind')}</span>} {text('action') ?? text('target') ?? ''}
        {(text('action') ?? text('target')) && ': '}
        {text('message') ?? 'the run failed'}
      </p>
      <details>
        <summary>Details</summary>
        <Json value={error} label="Run error" />
      </details>
    </div>
  );
}

function Steps({ steps }: { steps: Trace['steps'] }) {
  return (
    <Section title="Steps">
      {steps.length === 0 ? (
        <Empty>No action ran.</Empty>
      ) : (
        <ol className="steps">
          {steps.map((s) => (
            <li key={s.position} className={`step tone-${s.state === 'failed' ? 'bad' : 'good'}`}>
              <div className="step-head">
                <span className="step-pos">{s.position + 1}</span>
                <Link className="strong" to={`/actions/${s.owner}/${s.actionId}`}>
                  {s.actionName}
                </Link>
                <span className="muted">v{s.actionVersion}</span>
                <Badge value={s.state} />
                {s.allowedToFail && <span className="muted small">allowed to fail</span>}
                <span className="muted step-time">{duration(s.durationMs)}</span>
              </div>
              {s.error && (
                <p className="last-error">
                  <span className="error-kind">{s.error.kind}</span> {s.error.message}
                  {s.error.line !== undefined && ` (line ${s.error.line})`}
                </p>
              )}
              {s.logs.length > 0 && (
                <details>
                  <summary>
                    {s.logs.length} log line{s.logs.length === 1 ? '' : 's'}
                    {s.logsTruncated ? ' (truncated)' : ''}
                  </summary>
                  <pre className="logs">{s.logs.map((l) => `${l.at}  ${l.level.padEnd(5)}  ${l.message}`).join('\n')}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

function Calls({ calls }: { calls: Trace['calls'] }) {
  const positions = [...new Set(calls.map((c) => c.position))];
  return (
    <Section title="Target calls">
      {calls.length === 0 ? (
        <Empty>No target was called yet.</Empty>
      ) : (
        <ol className="steps">
          {positions.map((p) => {
            const attempts = calls.filter((c) => c.position === p);
            const last = attempts[attempts.length - 1]!;
            return (
              <li key={p} className={`step tone-${last.state === 'failed' ? 'bad' : 'good'}`}>
                <div className="step-head">
                  <span className="step-pos">{p + 1}</span>
                  <Link className="strong" to={`/targets/${last.targetId}`}>
                    {last.targetName}
                  </Link>
                  <span className="muted">{last.targetType}</span>
                  <Badge value={last.state} />
                  <span className="muted small">
                    {attempts.length} attempt{attempts.length === 1 ? '' : 's'}
                  </span>
                </div>
                <table className="table table-compact" aria-label={`Attempts of ${last.targetName}`}>
                  <thead>
                    <tr>
                      <th scope="col">Attempt</th>
                      <th scope="col">Status</th>
                      <th scope="col">Started</th>
                      <th scope="col" className="num">
                        Took
                      </th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {attempts.map((a) => (
                      <tr key={a.attempt}>
                        <td>{a.attempt}</td>
                        <td>{a.statusCode ?? '—'}</td>
                        <td>
                          <At iso={a.startedAt} />
                        </td>
                        <td className="num">{duration(a.durationMs)}</td>
                        <td className="error-cell">{a.error ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <div className="columns">
                  <div>
                    <h3>Request</h3>
                    <Json value={last.request} label={`Request to ${last.targetName}`} expandDepth={1} />
                  </div>
                  <div>
                    <h3>Response</h3>
                    {last.response === null ? <p className="muted">No answer.</p> : <Json value={last.response} label={`Response of ${last.targetName}`} expandDepth={1} />}
                  </div>
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </Section>
  );
}

function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function RetryRun({ runId }: { runId: string }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  // One key per confirmation, so a double click starts one run.
  const [key] = useState(randomKey);
  const retry = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/runs/{runId}/retry', { params: { path: { runId } }, body: { idempotencyKey: key } })),
    onSuccess: (started) => {
      void client.invalidateQueries({ queryKey: ['runs'] });
      setOpen(false);
      navigate(`/runs/${started.runId}`);
    },
  });
  return (
    <>
      <button type="button" className="btn btn-primary" onClick={() => setOpen(true)}>
        Retry run
      </button>
      <Dialog title="Retry this run?" open={open} onClose={() => setOpen(false)} onConfirm={() => retry.mutate()} confirmLabel="Start a new run" busy={retry.isPending} error={retry.error}>
        <p>A new run starts from this run's stored input, with the current actions or targets, and links back here.</p>
      </Dialog>
    </>
  );
}
