// Actions and flows live at two levels: the instance's (/v1/instance/…, instance-wide keys) and
// one org's (/v1/…, an org key or an org picked in the scope). Which ones the key can see:
import { api, unwrap } from '../../api/client';
import type { Me } from '../../app/me';

export type Level = 'instance' | 'org';

export function levelsOf(me: Me): Level[] {
  if (me.keyOrgId !== null) return ['org'];
  return me.orgId === null ? ['instance'] : ['instance', 'org'];
}

export const LEVEL_TITLE: Record<Level, string> = { instance: 'Instance actions', org: 'Org actions' };

export function listActions(level: Level) {
  const query = { params: { query: { limit: 500 } } };
  return level === 'instance' ? unwrap(api.GET('/v1/instance/actions', query)) : unwrap(api.GET('/v1/actions', query));
}

export function getAction(level: Level, actionId: string) {
  const params = { params: { path: { actionId } } };
  return level === 'instance' ? unwrap(api.GET('/v1/instance/actions/{actionId}', params)) : unwrap(api.GET('/v1/actions/{actionId}', params));
}

export function listVersions(level: Level, actionId: string) {
  const params = { params: { path: { actionId } } };
  return level === 'instance' ? unwrap(api.GET('/v1/instance/actions/{actionId}/versions', params)) : unwrap(api.GET('/v1/actions/{actionId}/versions', params));
}

export function rollback(level: Level, actionId: string, version: number) {
  const args = { params: { path: { actionId } }, body: { version } };
  return level === 'instance' ? unwrap(api.POST('/v1/instance/actions/{actionId}/rollback', args)) : unwrap(api.POST('/v1/actions/{actionId}/rollback', args));
}

export function listFlows(level: Level) {
  return level === 'instance' ? unwrap(api.GET('/v1/instance/flows')) : unwrap(api.GET('/v1/flows'));
}
