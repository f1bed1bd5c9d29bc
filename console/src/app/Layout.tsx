import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../ui/QueryState';
import { useMe } from './me';

const OPERATE = [
  { to: '/', label: 'Overview', end: true },
  { to: '/troubleshooting', label: 'Troubleshooting queue' },
  { to: '/commands', label: 'Commands' },
  { to: '/runs', label: 'Runs' },
  { to: '/workflows', label: 'Workflows' },
];
const CONFIGURE = [
  { to: '/actions', label: 'Actions' },
  { to: '/flows', label: 'Flows' },
  { to: '/targets', label: 'Targets' },
  { to: '/executions', label: 'Executions' },
  { to: '/alerts', label: 'Alerts' },
];

export function Layout({ onChangeOrg, onSignOut }: { onChangeOrg: (org: string | null) => void; onSignOut: () => void }) {
  const me = useMe();
  const depth = useQuery({ queryKey: ['troubleshooting', 'counts'], queryFn: () => unwrap(api.GET('/v1/troubleshooting/counts')), refetchInterval: 10_000 });
  const stuck = depth.data?.total ?? 0;
  const { pathname } = useLocation();
  // On a phone the navigation is one scrolling row: keep the current page's link in view.
  useEffect(() => {
    document.querySelector('.sidebar a.active')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [pathname]);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="sidebar-inner">
          <div className="brand">
            <img src="/console/favicon.svg" alt="" width="24" height="24" /> Cadenza
          </div>
          <nav aria-label="Console">
            <p className="nav-group" aria-hidden="true">
              Operate
            </p>
            <ul>
              {OPERATE.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to} end={l.end}>
                    {l.label}
                    {l.to === '/troubleshooting' && stuck > 0 && (
                      <span className="nav-count" aria-label={`${stuck} in the queue`}>
                        {stuck}
                      </span>
                    )}
                  </NavLink>
                </li>
              ))}
            </ul>
            <p className="nav-group" aria-hidden="true">
              Configure
            </p>
            <ul>
              {CONFIGURE.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to}>{l.label}</NavLink>
                </li>
              ))}
            </ul>
          </nav>
        </div>
      </aside>
      <div className="main-col">
        <header className="topbar">
          {me.keyOrgId === null ? <OrgPicker value={me.orgId} onChange={onChangeOrg} /> : <span className="scope">Org {me.keyOrgId}</span>}
          <div className="whoami">
            <span className="key-name" title={`Key ${me.keyId ?? ''} of instance ${me.instanceId}`}>
              {me.name}
            </span>
            <span className={`role role-${me.role}`}>{me.role}</span>
            <button type="button" className="btn btn-small" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading label="Opening the page" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}

/** Instance-wide keys act at instance level, or in one org picked here (X-Cadenza-Org). */
function OrgPicker({ value, onChange }: { value: string | null; onChange: (org: string | null) => void }) {
  const orgs = useQuery({ queryKey: ['orgs'], queryFn: () => unwrap(api.GET('/v1/orgs', { params: { query: { limit: 500 } } })), staleTime: 60_000 });
  return (
    <label className="org-picker">
      <span>Scope</span>
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? null : e.target.value)}>
        <option value="">Instance (every org)</option>
        {orgs.data?.items.map((o) => (
          <option key={o.id} value={o.id}>
            Org {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}
