import { signatureHeader, verifySignature } from '../../src/client/signature';
import { backoffFor, DEFAULT_POLICY } from '../../src/commands/model';
import { checkReplyTo } from '../../src/commands/replies';
import { ValidationError } from '../../src/errors';

describe('retry backoff', () => {
  it('uses one entry per attempt and repeats the last', () => {
    expect([1, 2, 3, 4, 9].map((a) => backoffFor(DEFAULT_POLICY, a))).toEqual([10_000, 60_000, 300_000, 300_000, 300_000]);
    expect(backoffFor({ ...DEFAULT_POLICY, backoffMs: [] }, 1)).toBe(0);
  });
});

describe('Cadenza-Signature', () => {
  const body = '{"commandId":"42"}';

  it('verifies a signature made with the same key within the tolerance', () => {
    const header = signatureHeader('k1', body, 1_000_000);
    expect(header).toMatch(/^t=1000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature('k1', body, header, { now: 1_000_100 })).toBe(true);
  });

  it('refuses another key, a changed body, an old timestamp and garbage', () => {
    const header = signatureHeader('k1', body, 1_000_000);
    expect(verifySignature('k2', body, header, { now: 1_000_000 })).toBe(false);
    expect(verifySignature('k1', body.replace('42', '43'), header, { now: 1_000_000 })).toBe(false);
    expect(verifySignature('k1', body, header, { now: 1_000_301 })).toBe(false);
    expect(verifySignature('k1', body, 't=abc,v1=zz')).toBe(false);
    expect(verifySignature('k1', body, undefined)).toBe(false);
  });
});

describe('replyTo', () => {
  const refused = (replyTo: string) => {
    try {
      checkReplyTo(replyTo, 'body.replyTo');
      return undefined;
    } catch (err) {
      return err instanceof ValidationError ? err.issues[0]!.field : 'other';
    }
  };

  it('accepts http(s) URLs and temporal:<workflowId> by syntax (whose workflow it is, is checked at send time)', () => {
    expect(refused('https://example.com/hook')).toBeUndefined();
    expect(refused('temporal:dag:acme:wf_1:run_1')).toBeUndefined();
  });

  it('refuses other schemes and an empty workflow id, naming the field', () => {
    expect(refused('ftp://example.com')).toBe('body.replyTo');
    expect(refused('not a url')).toBe('body.replyTo');
    expect(refused('temporal:')).toBe('body.replyTo');
  });
});
