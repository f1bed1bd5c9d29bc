import { useState, type FormEvent } from 'react';
import type { Session } from '../api/session';
import { useDocumentTitle } from '../ui/hooks';

/** Asks for an API key once per browser tab and checks it against GET /v1/me before keeping it. */
export function SignIn({ onSignIn, refusal }: { onSignIn: (s: Session) => void; refusal?: string }) {
  useDocumentTitle('Sign in');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(refusal);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await fetch('/v1/me', { headers: { authorization: `Bearer ${key.trim()}` } });
      if (res.ok) return onSignIn({ key: key.trim(), org: null });
      const problem = (await res.json().catch(() => ({}))) as { detail?: string };
      setError(problem.detail ?? `The API answered ${res.status}`);
    } catch (err) {
      setError(`The API cannot be reached: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit}>
        <div className="brand brand-large" aria-hidden="true">
          <img src="/console/favicon.svg" alt="" width="36" height="36" /> Cadenza
        </div>
        <h1>Operator console</h1>
        <p className="muted">Commands, the troubleshooting queue, runs and workflows in one place.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" spellCheck={false} placeholder="cdz_…" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="hint">
          The key stays in this tab's session storage and goes only to this Cadenza API. <code>make start</code> prints an admin key; a viewer key shows everything and changes nothing.
        </p>
      </form>
    </main>
  );
}
