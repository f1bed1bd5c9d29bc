// One command: why it is where it is (status, reason, last error), what it carries, every
// transition with who made it, and the operator's actions while it sits in the queue.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useCan, useTemporalLink } from '../../app/me';
import { Badge } from '../../ui/Badge';
import { Json } from '../../ui/Json';
import { Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading, Query } from '../../ui/QueryState';
import { Ago, At } from '../../ui/Time';
import { Timeline } from '../../ui/Timeline';
import { OperatorActions } from './OperatorActions';

const SETTLED = ['COMPLETED', 'FAILED', 'CANCELED', 'IN_TROUBLESHOOTING_QUEUE'];
const AUDIT_PAGE = 200;

export function CommandDetail() {
  const { domain = '', commandId = '' } = useParams();
  const path = { domain, commandId };
  const command = useQuery({
    queryKey: ['command', domain, commandId],
    queryFn: () => unwrap(api.GET('/v1/commands/{domain}/{commandId}', { params: { path } })),
    // A command on its way changes within seconds: follow it until it settles.
    refetchInterval: (q) => (q.state.data && SETTLED.includes(q.state.data.status) ? false : 1_000),
  });
  // The audit trail comes a page at a time, oldest first; later pages load on request.
  const audit = useInfiniteQuery({
    queryKey: ['audit', domain, commandId, command.data?.updatedAt],
    queryFn: ({ pageParam }) => unwrap(api.GET('/v1/commands/{domain}/{commandId}/audit', { params: { path, query: { limit: AUDIT_PAGE, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: command.isSuccess,
  });
  const canOperate = useCan('operator');
  const c = command.data;
  const temporal = useTemporalLink(c?.workflowId ?? '');

  if (command.isPending) return <Page title={commandId}><Loading label="Reading the command" /></Page>;
  if (command.isError) return <Page title={commandId}><ErrorState error={command.error} onRetry={() => void command.refetch()} /></Page>;
  const inQueue = c!.status === 'IN_TROUBLESHOOTING_QUEUE';
  return (
    <Page
      title={commandId}
      kicker={
        <>
          {domain} · {c!.type}
        </>
      }
      back={inQueue ? { to: '/troubleshooting', label: 'Troubleshooting queue' } : { to: '/commands', label: 'Commands' }}
      actions={
        <>
          <Badge value={c!.status} />
          {temporal && (
            <a className="btn btn-small" href={temporal} target="_blank" rel="noreferrer">
              Open in Temporal Web UI ↗
            </a>
          )}
        </>
      }
    >
      {inQueue && (
        <section className="card card-stuck" aria-labelledby="stuck-title">
          <div className="card-head">
            <h2 id="stuck-title">
              In the troubleshooting queue {c!.tsqReason && <Badge value={c!.tsqReason} />}
            </h2>
            {canOperate && <OperatorActions command={c!} />}
          </div>
          {c!.lastError && <LastError error={c!.lastError} />}
          {!canOperate && <p className="muted">Your key can read this command; retrying, cancelling or completing it needs an operator key.</p>}
        </section>
      )}
      {!inQueue && c!.status !== 'COMPLETED' && c!.lastError && (
        <Section title="Last error">
          <LastError error={c!.lastError} />
        </Section>
      )}
      <Section title="Command">
        <Facts
          items={[
            ['Status', <Badge value={c!.status} />],
            ['Attempts', `${c!.attempts} of ${c!.maxAttempts} (${c!.totalAttempts} in all)`],
            ['Correlation id', <Link to={`/commands?correlationId=${encodeURIComponent(c!.correlationId)}`}>{c!.correlationId}</Link>],
            ['Created', <At iso={c!.createdAt} />],
            ['Last change', <Ago iso={c!.updatedAt} />],
            ['Next attempt', c!.nextAttemptAt ? <Ago iso={c!.nextAttemptAt} /> : null],
            ['Batch', c!.batchId],
            ['Reply to', c!.replyTo],
            ['Org', c!.orgId],
            ['Workflow id', <code>{c!.workflowId}</code>],
          ]}
        />
      </Section>
      <div className="columns">
        <Section title="Payload">
          <Json value={c!.payload} label="Payload" />
        </Section>
        {c!.status === 'COMPLETED' && (
          <Section title="Result">
            <Json value={c!.result} label="Result" />
          </Section>
        )}
      </div>
      <Section title="Audit trail">
        <Query q={audit} label="Reading the audit trail">
          {(a) => (
            <>
              <Timeline entries={a.pages.flatMap((p) => p.items)} />
              {audit.hasNextPage && (
                <button type="button" className="btn" disabled={audit.isFetchingNextPage} onClick={() => void audit.fetchNextPage()}>
                  {audit.isFetchingNextPage ? 'Loading…' : 'Show later transitions'}
                </button>
              )}
            </>
          )}
        </Query>
      </Section>
    </Page>
  );
}

function LastError({ error }: { error: { kind: string; message: string; code?: string; details?: unknown } }) {
  return (
    <div className="last-error">
      <p>
        <span className="error-kind">{error.code ?? error.kind}</span> {error.message}
      </p>
      {error.details !== undefined && error.details !== null && <Json value={error.details} label="Error details" expandDepth={1} />}
    </div>
  );
}
