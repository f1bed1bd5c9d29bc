import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useDocumentTitle } from './hooks';

export function Page({ title, kicker, back, actions, children }: { title: string; kicker?: ReactNode; back?: { to: string; label: string }; actions?: ReactNode; children: ReactNode }) {
  useDocumentTitle(title);
  return (
    <>
      <header className="page-head">
        <div className="page-title">
          {back && (
            <Link className="back" to={back.to}>
              ← {back.label}
            </Link>
          )}
          {kicker && <div className="kicker">{kicker}</div>}
          <h1>{title}</h1>
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </>
  );
}

export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const headingId = id ?? `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** Label/value pairs, e.g. a command's attempts, correlation id and times. */
export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
