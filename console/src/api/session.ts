// The operator's API key and chosen org live in session storage: entered once per browser tab,
// gone when the tab closes, never in a cookie or on disk.
const STORAGE_KEY = 'cadenza.console.session';

export interface Session {
  key: string;
  /** The org picked for an instance-wide key (sent as X-Cadenza-Org); null for instance level. */
  org: string | null;
}

export function readSession(): Session | undefined {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    if (raw === null) return undefined;
    const parsed = JSON.parse(raw) as Partial<Session>;
    return typeof parsed.key === 'string' ? { key: parsed.key, org: typeof parsed.org === 'string' ? parsed.org : null } : undefined;
  } catch {
    return undefined;
  }
}

export function writeSession(session: Session): void {
  window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}
