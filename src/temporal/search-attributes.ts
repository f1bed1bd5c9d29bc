// The search attributes of the Temporal contract (DESIGN.md). All are Keyword, so the Web UI and
// `temporal workflow list --query 'CommandStatus="IN_TROUBLESHOOTING_QUEUE"'` can filter on them.
// Workflow code imports this file: keep it free of client and proto imports, which would bloat
// the workflow bundle (registration lives in search-attribute-registration.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CadenzaInstance = defineSearchAttributeKey('CadenzaInstance', SearchAttributeType.KEYWORD);
export const CadenzaOrg = defineSearchAttributeKey('CadenzaOrg', SearchAttributeType.KEYWORD);
export const CadenzaKind = defineSearchAttributeKey('CadenzaKind', SearchAttributeType.KEYWORD);
export const CommandDomain = defineSearchAttributeKey('CommandDomain', SearchAttributeType.KEYWORD);
export const CommandType = defineSearchAttributeKey('CommandType', SearchAttributeType.KEYWORD);
export const CommandStatus = defineSearchAttributeKey('CommandStatus', SearchAttributeType.KEYWORD);
export const CorrelationId = defineSearchAttributeKey('CorrelationId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [CadenzaInstance, CadenzaOrg, CadenzaKind, CommandDomain, CommandType, CommandStatus, CorrelationId];
