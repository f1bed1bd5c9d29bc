// The search attributes of the Temporal contract (DESIGN.md). All are Keyword, so the Web UI and
// `temporal workflow list --query 'CommandStatus="IN_TROUBLESHOOTING_QUEUE"'` can filter on them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Connection } from '@temporalio/client';

import { temporal } from '@temporalio/proto';

export const CadenzaInstance = defineSearchAttributeKey('CadenzaInstance', SearchAttributeType.KEYWORD);
export const CadenzaOrg = defineSearchAttributeKey('CadenzaOrg', SearchAttributeType.KEYWORD);
export const CadenzaKind = defineSearchAttributeKey('CadenzaKind', SearchAttributeType.KEYWORD);
export const CommandDomain = defineSearchAttributeKey('CommandDomain', SearchAttributeType.KEYWORD);
export const CommandType = defineSearchAttributeKey('CommandType', SearchAttributeType.KEYWORD);
export const CommandStatus = defineSearchAttributeKey('CommandStatus', SearchAttributeType.KEYWORD);
export const CorrelationId = defineSearchAttributeKey('CorrelationId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [CadenzaInstance, CadenzaOrg, CadenzaKind, CommandDomain, CommandType, CommandStatus, CorrelationId];

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]);
}

/** Registers missing search attributes on an external server (not possible on Temporal Cloud). */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = SEARCH_ATTRIBUTES.filter((a) => !present.has(a.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((a) => [a.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return missing.map((a) => a.name);
}
