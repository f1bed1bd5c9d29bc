// A target and the rotation of its signing key; the new key is shown once, here.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useCan } from '../../app/me';
import { Dialog } from '../../ui/Dialog';
import { Facts, Page, Section } from '../../ui/Page';
import { ErrorState, Loading } from '../../ui/QueryState';
import { Ago, At } from '../../ui/Time';

export function TargetDetail() {
  const { targetId = '' } = useParams();
  const target = useQuery({ queryKey: ['target', targetId], queryFn: () => unwrap(api.GET('/v1/targets/{targetId}', { params: { path: { targetId } } })) });
  const canAdmin = useCan('admin');
  if (target.isPending) return <Page title={`Target ${targetId}`}><Loading label="Reading the target" /></Page>;
  if (target.isError) return <Page title={`Target ${targetId}`}><ErrorState error={target.error} onRetry={() => void target.refetch()} /></Page>;
  const t = target.data;
  return (
    <Page title={t.name} kicker={`${t.type} target ${t.id}`} back={{ to: '/targets', label: 'Targets' }} actions={canAdmin && <RotateKey targetId={t.id} name={t.name} />}>
      <Section title="Target">
        <Facts
          items={[
            ['Type', t.type],
            ['Endpoint', <span className="mono break">{t.endpoint}</span>],
            ['Timeout', `${t.timeoutSeconds} s`],
            ['Interrupts on error', t.interruptOnError ? 'yes' : 'no'],
            [
              'Retry policy (events)',
              t.retryPolicy
                ? `${t.retryPolicy.maxAttempts} attempts from ${t.retryPolicy.initialIntervalSeconds} s, ×${t.retryPolicy.backoffCoefficient}, at most ${t.retryPolicy.maxIntervalSeconds} s`
                : 'default: 5 attempts from 1 s, ×2, at most 60 s',
            ],
            ['Previous key verifies until', t.previousKeyExpiresAt ? <At iso={t.previousKeyExpiresAt} /> : 'no previous key'],
            ['Created', <At iso={t.createdAt} />],
            ['Created by', t.createdBy],
            ['Changed', <Ago iso={t.changedAt} />],
          ]}
        />
      </Section>
    </Page>
  );
}

function RotateKey({ targetId, name }: { targetId: string; name: string }) {
  const [open, setOpen] = useState(false);
  const rotate = useMutation({ mutationFn: () => unwrap(api.POST('/v1/targets/{targetId}/signing-key', { params: { path: { targetId } } })) });
  const key = rotate.data?.signingKey;
  const close = () => {
    setOpen(false);
    rotate.reset();
  };
  return (
    <>
      <button type="button" className="btn" onClick={() => setOpen(true)}>
        Rotate signing key…
      </button>
      <Dialog
        title={key ? 'The new signing key' : `Rotate the signing key of ${name}?`}
        open={open}
        onClose={close}
        onConfirm={key ? undefined : () => rotate.mutate()}
        confirmLabel="Rotate the key"
        confirmTone="danger"
        busy={rotate.isPending}
        error={rotate.error}
      >
        {key ? (
          <>
            <p>
              <strong>Copy it now: it is shown only this once.</strong> Cadenza keeps it encrypted and never shows it again.
            </p>
            <input className="mono secret" readOnly value={key} aria-label="New signing key" onFocus={(e) => e.target.select()} />
          </>
        ) : (
          <p>A new key signs every call from now on. For 24 hours every call also carries a signature with the old key, so receivers keep accepting calls until they have the new one.</p>
        )}
      </Dialog>
    </>
  );
}
