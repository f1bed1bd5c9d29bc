import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, useEffect, useState } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { ApiError, api, onUnauthorized, unwrap } from '../api/client';
import { clearSession, readSession, writeSession, type Session } from '../api/session';
import { Actions } from '../pages/actions/Actions';
import { Flows } from '../pages/actions/Flows';
import { AlertDetail } from '../pages/alerts/AlertDetail';
import { Alerts } from '../pages/alerts/Alerts';
import { CommandDetail } from '../pages/commands/CommandDetail';
import { Commands } from '../pages/commands/Commands';
import { NotFound } from '../pages/NotFound';
import { Overview } from '../pages/overview/Overview';
import { RunDetail } from '../pages/runs/RunDetail';
import { Runs } from '../pages/runs/Runs';
import { Executions } from '../pages/targets/Executions';
import { TargetDetail } from '../pages/targets/TargetDetail';
import { Targets } from '../pages/targets/Targets';
import { Troubleshooting } from '../pages/troubleshooting/Troubleshooting';
import { Workflows } from '../pages/workflows/Workflows';
import { ErrorState, Loading } from '../ui/QueryState';
import { Layout } from './Layout';
import { MeContext } from './me';
import { SignIn } from './SignIn';

// Pages with heavy libraries (the graph, the highlighter, the diff) load when first opened.
const WorkflowDetail = lazy(() => import('../pages/workflows/WorkflowDetail').then((m) => ({ default: m.WorkflowDetail })));
const WorkflowRun = lazy(() => import('../pages/workflows/WorkflowRun').then((m) => ({ default: m.WorkflowRun })));
const ActionDetail = lazy(() => import('../pages/actions/ActionDetail').then((m) => ({ default: m.ActionDetail })));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 2_000,
      // A 4xx will not fix itself; anything else gets one more try.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 1,
      refetchOnWindowFocus: true,
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/console">
        <Gate />
      </BrowserRouter>
    </QueryClientProvider>
  );
}

/** Asks for a key when there is none (or the API refused it), then shows the console. */
function Gate() {
  const client = useQueryClient();
  const [session, setSession] = useState<Session | undefined>(readSession);
  const [refusal, setRefusal] = useState<string>();

  useEffect(
    () =>
      onUnauthorized((err) => {
        clearSession();
        client.clear();
        setRefusal(err.message);
        setSession(undefined);
      }),
    [client],
  );

  const signIn = (next: Session) => {
    writeSession(next);
    client.clear();
    setRefusal(undefined);
    setSession(next);
  };
  const signOut = () => {
    clearSession();
    client.clear();
    setSession(undefined);
  };

  if (session === undefined) return <SignIn onSignIn={signIn} refusal={refusal} />;
  return <SignedIn session={session} onChangeOrg={(org) => signIn({ ...session, org })} onSignOut={signOut} />;
}

function SignedIn({ session, onChangeOrg, onSignOut }: { session: Session; onChangeOrg: (org: string | null) => void; onSignOut: () => void }) {
  const me = useQuery({ queryKey: ['me', session.org], queryFn: () => unwrap(api.GET('/v1/me')), staleTime: 60_000 });
  if (me.isPending) return <Loading label="Checking the key" />;
  if (me.isError)
    return (
      <main className="centered">
        <ErrorState error={me.error} onRetry={() => void me.refetch()} />
        <button type="button" className="btn" onClick={onSignOut}>
          Use another key
        </button>
      </main>
    );
  return (
    <MeContext.Provider value={me.data}>
      <Routes>
        <Route element={<Layout onChangeOrg={onChangeOrg} onSignOut={onSignOut} />}>
          <Route index element={<Overview />} />
          <Route path="troubleshooting" element={<Troubleshooting />} />
          <Route path="commands" element={<Commands />} />
          <Route path="commands/:domain/:commandId" element={<CommandDetail />} />
          <Route path="runs" element={<Runs />} />
          <Route path="runs/:runId" element={<RunDetail />} />
          <Route path="workflows" element={<Workflows />} />
          <Route path="workflows/:workflowId" element={<WorkflowDetail />} />
          <Route path="workflow-runs/:runId" element={<WorkflowRun />} />
          <Route path="actions" element={<Actions />} />
          <Route path="actions/:level/:actionId" element={<ActionDetail />} />
          <Route path="flows" element={<Flows />} />
          <Route path="targets" element={<Targets />} />
          <Route path="targets/:targetId" element={<TargetDetail />} />
          <Route path="executions" element={<Executions />} />
          <Route path="alerts" element={<Alerts />} />
          <Route path="alerts/:alertId" element={<AlertDetail />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </MeContext.Provider>
  );
}
