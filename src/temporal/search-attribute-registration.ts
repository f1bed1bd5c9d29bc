// Registering Cadenza's search attributes: flags for the dev server, or the operator API.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './search-attributes';

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]);
}

/**
 * Registers missing search attributes on an external server (not possible on Temporal Cloud), and
 * waits until the server accepts them: a server with SQL visibility serves them once its
 * namespace cache has refreshed, and a workflow started before then would be refused.
 */
export async function ensureSearchAttributes(connection: Pick<Connection, 'operatorService' | 'workflowService'>, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const present = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = SEARCH_ATTRIBUTES.filter((a) => !present.has(a.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((a) => [a.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  await waitUntilQueryable(connection, namespace);
  return missing.map((a) => a.name);
}

async function waitUntilQueryable(connection: Pick<Connection, 'workflowService'>, namespace: string): Promise<void> {
  const query = SEARCH_ATTRIBUTES.map((a) => `${a.name} = ''`).join(' AND ');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
