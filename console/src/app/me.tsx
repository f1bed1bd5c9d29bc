// Who is signed in (GET /v1/me): the key's name, role and scope. Pages ask `useCan` before they
// show a button, so a viewer sees no action it could not take (the API refuses them anyway).
import { createContext, useContext } from 'react';
import type { Schemas } from '../api/client';

export type Me = Schemas['Me'];
export type Role = Me['role'];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (me === null) throw new Error('useMe outside a signed-in page');
  return me;
}

/** Whether the signed-in key has at least this role. */
export function useCan(role: Role): boolean {
  return RANK[useMe().role] >= RANK[role];
}

/** The workflow in the Temporal Web UI, when the API knows where that is. */
export function useTemporalLink(workflowId: string): string | undefined {
  const { temporal } = useMe();
  if (temporal.webUiUrl === null) return undefined;
  return `${temporal.webUiUrl}/namespaces/${encodeURIComponent(temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
