// Every API route as a `cadenza <resource> <verb>` command, declared once: the method and path,
// the positional arguments (the path's parameters, in order), query options and body fields.
// A unit test checks that every route of the API has its command here.

/** How a flag's text becomes a value: `file` reads a file, `json-file` a JSON file (`-` is stdin), `targets` makes [{target: id}, …]. */
export type Parse = 'string' | 'int' | 'number' | 'json' | 'list' | 'ints' | 'bool' | 'file' | 'json-file' | 'targets';

export interface Field {
  /** commander flags, e.g. '--name <name>'. */
  flags: string;
  /** The body (or query) key it fills; dotted for nested keys. */
  key: string;
  description: string;
  parse?: Parse;
  required?: boolean;
}

export interface Verb {
  /** `<resource> <verb>` */
  command: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI path; `{x}` parameters are the positional arguments, in order. */
  path: string;
  summary: string;
  query?: Field[];
  /** Body fields from flags; `-f <file|->` (JSON or YAML) gives the whole body, flags override it. */
  body?: Field[];
  /** The body may come from `-f`; with a key, the file's content goes under that key (a workflow's n8n JSON). */
  file?: boolean | string;
  /** Columns of the table output. */
  columns?: string[];
  /** `--instance` acts on the instance's own actions and flows (/v1/instance/…). */
  instance?: boolean;
  /** Positional arguments after the path's parameters that fill body keys (`commands send <domain> <type>`). */
  bodyArgs?: string[];
  /** Long-running: follow the returned operation with a progress bar. */
  follow?: 'bulk-retry';
}

const page: Field[] = [
  { flags: '--limit <n>', key: 'limit', description: 'page size', parse: 'int' },
  { flags: '--cursor <cursor>', key: 'cursor', description: 'next page (printed under a table)' },
];

const ORG = ['id', 'name', 'createdAt'];
const KEY = ['id', 'name', 'role', 'orgId', 'createdAt', 'revokedAt'];
const COMMAND = ['domain', 'commandId', 'type', 'status', 'attempts', 'correlationId', 'createdAt'];
const TSQ = ['domain', 'commandId', 'type', 'tsqReason', 'attempts', 'lastError', 'updatedAt'];
const ACTION = ['id', 'name', 'api', 'state', 'version', 'timeoutSeconds', 'allowedToFail', 'changedAt'];
const RUN = ['id', 'kind', 'flowType', 'triggerType', 'state', 'startedAt', 'endedAt'];
const TARGET = ['id', 'name', 'type', 'endpoint', 'timeoutSeconds', 'interruptOnError'];
const EXECUTION = ['condition', 'orgId', 'targets', 'changedAt'];
const ALERT = ['id', 'name', 'scope', 'scopeId', 'state', 'failureRateThreshold', 'depthThreshold', 'window', 'lastRate', 'lastDepth', 'lastEvaluatedAt'];
const WORKFLOW = ['id', 'name', 'version', 'versionLabel', 'updatedAt'];
const WORKFLOW_RUN = ['id', 'workflowId', 'version', 'status', 'startedAt', 'finishedAt'];
const VERSION = ['version', 'versionLabel', 'createdBy', 'createdAt'];

const REQUEST_LOG = ['id', 'createdAt', 'method', 'route', 'status', 'durationMs', 'orgId', 'requestId'];
const EXECUTION_LOG = ['id', 'loggedAt', 'level', 'runId', 'actionId', 'message'];
const QUOTA_LOG = ['id', 'createdAt', 'unit', 'allowed', 'amount', 'runId', 'actionId', 'reason'];
const MILESTONE = ['milestone', 'reachedAt', 'pushedAt', 'reachedBy'];
const logRange: Field[] = [
  { flags: '--from <time>', key: 'from', description: 'ISO 8601, inclusive' },
  { flags: '--to <time>', key: 'to', description: 'ISO 8601, exclusive' },
];

const INSTANCE = ['id', 'name', 'limits', 'createdAt'];
const instanceLimits: Field[] = [
  { flags: '--action-quota-seconds <n>', key: 'limits.actionQuotaSecondsPerMonth', description: 'action-seconds per month (0: none)', parse: 'int' },
  { flags: '--log-retention-days <n>', key: 'limits.logRetentionDays', description: 'days the logstore keeps logs', parse: 'int' },
  { flags: '--command-retention-days <n>', key: 'limits.commandRetentionDays', description: 'days finished commands and their events are kept', parse: 'int' },
  { flags: '--payload-limit-bytes <n>', key: 'limits.commandPayloadBytes', description: "largest command payload (at most the installation's)", parse: 'int' },
  { flags: '--rate-limit <n>', key: 'limits.rateLimit.requestsPerSecond', description: 'API requests per second (with --rate-burst)', parse: 'number' },
  { flags: '--rate-burst <n>', key: 'limits.rateLimit.burst', description: 'API requests allowed at once (with --rate-limit)', parse: 'int' },
];

const reason: Field = { flags: '--reason <text>', key: 'reason', description: 'why (recorded in the audit trail)' };

export const VERBS: Verb[] = [
  { command: 'orgs list', method: 'GET', path: '/v1/orgs', summary: 'List orgs', query: page, columns: ORG },
  { command: 'orgs get', method: 'GET', path: '/v1/orgs/{orgId}', summary: 'Show an org' },
  { command: 'orgs create', method: 'POST', path: '/v1/orgs', summary: 'Create an org', body: [{ flags: '--name <name>', key: 'name', description: 'org name', required: true }] },

  { command: 'keys list', method: 'GET', path: '/v1/keys', summary: 'List API keys', query: page, columns: KEY },
  {
    command: 'keys create',
    method: 'POST',
    path: '/v1/keys',
    summary: 'Create an API key; its secret is printed once',
    body: [
      { flags: '--name <name>', key: 'name', description: 'a name (recorded as the operator identity)', required: true },
      { flags: '--role <role>', key: 'role', description: 'admin, operator or viewer', required: true },
      { flags: '--for-org <orgId>', key: 'orgId', description: 'scope the key to one org' },
    ],
  },
  { command: 'keys me', method: 'GET', path: '/v1/me', summary: 'Show the calling key: its name, role and scope' },
  { command: 'keys revoke', method: 'DELETE', path: '/v1/keys/{keyId}', summary: 'Revoke an API key' },

  {
    command: 'commands send',
    method: 'POST',
    path: '/v1/commands',
    summary: 'Send a command (payload from --payload, --payload-file or -f with the whole body)',
    bodyArgs: ['domain', 'type'],
    file: true,
    body: [
      { flags: '--payload <json>', key: 'payload', description: 'JSON payload', parse: 'json' },
      { flags: '--payload-file <path>', key: 'payload', description: 'JSON payload from a file (- reads stdin)', parse: 'json-file' },
      { flags: '--id <commandId>', key: 'commandId', description: 'idempotency key (generated when absent)' },
      { flags: '--correlation-id <id>', key: 'correlationId', description: 'correlation id' },
      { flags: '--reply-to <target>', key: 'replyTo', description: 'an http(s) URL or temporal:<workflowId>' },
      { flags: '--max-attempts <n>', key: 'maxAttempts', description: 'attempts before the troubleshooting queue', parse: 'int' },
      { flags: '--backoff <ms,…>', key: 'backoffMs', description: 'milliseconds between attempts, comma-separated', parse: 'ints' },
      { flags: '--execution <mode>', key: 'execution', description: 'activity or inline (overrides the domain policy)' },
    ],
    columns: COMMAND,
  },
  { command: 'commands batch', method: 'POST', path: '/v1/commands/batch', summary: 'Send a batch of commands (-f with {batchId?, replyTo?, commands})', file: true },
  {
    command: 'commands list',
    method: 'GET',
    path: '/v1/commands',
    summary: 'List commands, newest first',
    query: [
      { flags: '--status <status>', key: 'status', description: 'PENDING, IN_PROGRESS, … IN_TROUBLESHOOTING_QUEUE' },
      { flags: '--domain <domain>', key: 'domain', description: 'domain' },
      { flags: '--type <type>', key: 'type', description: 'type' },
      { flags: '--correlation-id <id>', key: 'correlationId', description: 'correlation id' },
      { flags: '--batch-id <id>', key: 'batchId', description: 'batch id' },
      { flags: '--created-after <time>', key: 'createdAfter', description: 'ISO time' },
      { flags: '--created-before <time>', key: 'createdBefore', description: 'ISO time' },
      ...page,
    ],
    columns: COMMAND,
  },
  {
    command: 'commands counts',
    method: 'GET',
    path: '/v1/commands/counts',
    summary: 'Count commands by status',
    query: [
      { flags: '--domain <domain>', key: 'domain', description: 'domain' },
      { flags: '--type <type>', key: 'type', description: 'type' },
    ],
  },
  { command: 'commands get', method: 'GET', path: '/v1/commands/{domain}/{commandId}', summary: 'Show a command' },
  { command: 'commands audit', method: 'GET', path: '/v1/commands/{domain}/{commandId}/audit', summary: "Show a command's audit trail", query: page, columns: ['sequence', 'type', 'creator', 'createdAt', 'payload'] },
  { command: 'commands reply-key', method: 'GET', path: '/v1/commands/reply-signing-key', summary: 'Show the reply signing key (admin)' },
  { command: 'batches get', method: 'GET', path: '/v1/batches/{batchId}', summary: 'Show a batch and its counts' },
  { command: 'domains get', method: 'GET', path: '/v1/command-domains/{domain}', summary: "Show a domain's retry policy" },
  {
    command: 'domains set',
    method: 'PUT',
    path: '/v1/command-domains/{domain}',
    summary: "Set a domain's retry policy",
    file: true,
    body: [
      { flags: '--max-attempts <n>', key: 'maxAttempts', description: 'attempts', parse: 'int' },
      { flags: '--backoff <ms,…>', key: 'backoffMs', description: 'milliseconds between attempts', parse: 'ints' },
      { flags: '--execution <mode>', key: 'execution', description: 'activity (the domain queue) or inline (a local activity of the command workflow, for short handlers)' },
    ],
  },

  {
    command: 'tsq list',
    method: 'GET',
    path: '/v1/troubleshooting',
    summary: 'List the troubleshooting queue',
    query: [{ flags: '--domain <domain>', key: 'domain', description: 'domain' }, { flags: '--type <type>', key: 'type', description: 'type' }, { flags: '--tsq-reason <reason>', key: 'tsqReason', description: 'EXHAUSTED, PERMANENT or HANDLER_NOT_FOUND' }, ...page],
    columns: TSQ,
  },
  { command: 'tsq counts', method: 'GET', path: '/v1/troubleshooting/counts', summary: "The queue's depth per domain, type and reason" },
  { command: 'tsq retry', method: 'POST', path: '/v1/troubleshooting/{domain}/{commandId}/retry', summary: 'Retry a command (attempts start again)', body: [reason] },
  { command: 'tsq cancel', method: 'POST', path: '/v1/troubleshooting/{domain}/{commandId}/cancel', summary: 'Cancel a command in the queue', body: [{ ...reason, required: true }] },
  {
    command: 'tsq complete',
    method: 'POST',
    path: '/v1/troubleshooting/{domain}/{commandId}/complete',
    summary: 'Complete a command by hand',
    body: [{ flags: '--result <json>', key: 'result', description: 'the result to record and reply with', parse: 'json' }, reason],
  },
  {
    command: 'tsq retry-all',
    method: 'POST',
    path: '/v1/troubleshooting/retry',
    summary: 'Retry every queued command that matches, with a progress bar',
    body: [
      { flags: '--domain <domain>', key: 'domain', description: 'domain' },
      { flags: '--type <type>', key: 'type', description: 'type' },
      { flags: '--limit <n>', key: 'limit', description: 'at most this many', parse: 'int' },
      reason,
    ],
    follow: 'bulk-retry',
  },
  { command: 'tsq retry-status', method: 'GET', path: '/v1/troubleshooting/retry/{bulkId}', summary: "Show a bulk retry's progress" },

  { command: 'actions list', method: 'GET', path: '/v1/actions', summary: 'List actions', instance: true, query: [{ flags: '--state <state>', key: 'state', description: 'active or inactive' }, ...page], columns: ACTION },
  { command: 'actions get', method: 'GET', path: '/v1/actions/{actionId}', summary: 'Show an action', instance: true },
  {
    command: 'actions create',
    method: 'POST',
    path: '/v1/actions',
    summary: 'Create an action (version 1)',
    instance: true,
    file: true,
    body: [
      { flags: '--name <name>', key: 'name', description: 'the function name the script defines' },
      { flags: '--script-file <path>', key: 'script', description: 'file holding the script', parse: 'file' },
      { flags: '--api <api>', key: 'api', description: 'the script API: cadenza (default) or zitadel-v1' },
      { flags: '--timeout-seconds <n>', key: 'timeoutSeconds', description: 'timeout', parse: 'int' },
      { flags: '--allowed-to-fail <bool>', key: 'allowedToFail', description: 'a failure does not stop the run', parse: 'bool' },
    ],
  },
  {
    command: 'actions update',
    method: 'PATCH',
    path: '/v1/actions/{actionId}',
    summary: 'Change an action (a new version)',
    instance: true,
    file: true,
    body: [
      { flags: '--script-file <path>', key: 'script', description: 'file holding the script', parse: 'file' },
      { flags: '--api <api>', key: 'api', description: 'the script API: cadenza (default) or zitadel-v1' },
      { flags: '--timeout-seconds <n>', key: 'timeoutSeconds', description: 'timeout', parse: 'int' },
      { flags: '--allowed-to-fail <bool>', key: 'allowedToFail', description: 'a failure does not stop the run', parse: 'bool' },
    ],
  },
  { command: 'actions delete', method: 'DELETE', path: '/v1/actions/{actionId}', summary: 'Delete an action', instance: true },
  { command: 'actions deactivate', method: 'POST', path: '/v1/actions/{actionId}/deactivate', summary: 'Deactivate an action', instance: true },
  { command: 'actions reactivate', method: 'POST', path: '/v1/actions/{actionId}/reactivate', summary: 'Reactivate an action', instance: true },
  { command: 'actions versions', method: 'GET', path: '/v1/actions/{actionId}/versions', summary: "List an action's versions", instance: true, columns: ['version', 'scriptHash', 'createdBy', 'createdAt'] },
  { command: 'actions version', method: 'GET', path: '/v1/actions/{actionId}/versions/{version}', summary: 'Show one version of an action', instance: true },
  { command: 'actions rollback', method: 'POST', path: '/v1/actions/{actionId}/rollback', summary: 'Make a new version equal to an old one', instance: true, body: [{ flags: '--version <n>', key: 'version', description: 'the version to return to', parse: 'int', required: true }] },

  { command: 'flows list', method: 'GET', path: '/v1/flows', summary: 'List the flows that have actions, with their triggers', instance: true },
  { command: 'flows get', method: 'GET', path: '/v1/flows/{flowType}', summary: "Show a flow's triggers and their actions", instance: true },
  { command: 'flows clear', method: 'DELETE', path: '/v1/flows/{flowType}', summary: 'Remove every action from a flow', instance: true },
  { command: 'flows set', method: 'PUT', path: '/v1/flows/{flowType}/triggers/{triggerType}', summary: "Set a trigger's ordered actions", instance: true, body: [{ flags: '--actions <ids>', key: 'actionIds', description: 'comma-separated action ids, in order', parse: 'list', required: true }] },
  { command: 'flows remove-action', method: 'DELETE', path: '/v1/flows/{flowType}/triggers/{triggerType}/actions/{actionId}', summary: 'Remove one action from a trigger', instance: true },
  { command: 'flows run', method: 'POST', path: '/v1/flows/{flowType}/triggers/{triggerType}/run', summary: "Run a trigger's actions on a context", instance: true, body: [{ flags: '--context <json>', key: 'context', description: 'the context', parse: 'json' }] },

  {
    command: 'runs list',
    method: 'GET',
    path: '/v1/runs',
    summary: 'List flow and execution runs, newest first',
    query: [
      { flags: '--state <state>', key: 'state', description: 'running, succeeded or failed' },
      { flags: '--kind <kind>', key: 'kind', description: 'flow or execution' },
      { flags: '--since <time>', key: 'since', description: 'ISO time' },
      ...page,
    ],
    columns: RUN,
  },
  { command: 'runs get', method: 'GET', path: '/v1/runs/{runId}', summary: "Show a run's trace" },
  { command: 'runs retry', method: 'POST', path: '/v1/runs/{runId}/retry', summary: 'Run a failed run again', body: [{ flags: '--idempotency-key <key>', key: 'idempotencyKey', description: 'the same key answers the same run', required: true }] },

  { command: 'targets list', method: 'GET', path: '/v1/targets', summary: 'List targets', query: page, columns: TARGET },
  { command: 'targets get', method: 'GET', path: '/v1/targets/{targetId}', summary: 'Show a target' },
  {
    command: 'targets create',
    method: 'POST',
    path: '/v1/targets',
    summary: 'Create a target; its signing key is printed once',
    file: true,
    body: [
      { flags: '--name <name>', key: 'name', description: 'name' },
      { flags: '--type <type>', key: 'type', description: 'webhook, call or async' },
      { flags: '--endpoint <url>', key: 'endpoint', description: 'http(s) URL' },
      { flags: '--timeout-seconds <n>', key: 'timeoutSeconds', description: 'timeout', parse: 'number' },
      { flags: '--interrupt-on-error <bool>', key: 'interruptOnError', description: 'a failure stops the chain', parse: 'bool' },
    ],
  },
  {
    command: 'targets update',
    method: 'PATCH',
    path: '/v1/targets/{targetId}',
    summary: 'Change a target',
    file: true,
    body: [
      { flags: '--name <name>', key: 'name', description: 'name' },
      { flags: '--endpoint <url>', key: 'endpoint', description: 'http(s) URL' },
      { flags: '--timeout-seconds <n>', key: 'timeoutSeconds', description: 'timeout', parse: 'number' },
      { flags: '--interrupt-on-error <bool>', key: 'interruptOnError', description: 'a failure stops the chain', parse: 'bool' },
    ],
  },
  { command: 'targets delete', method: 'DELETE', path: '/v1/targets/{targetId}', summary: 'Delete a target' },
  {
    command: 'targets rotate-key',
    method: 'POST',
    path: '/v1/targets/{targetId}/signing-key',
    summary: "Rotate a target's signing key (printed once); the old key keeps verifying for the overlap",
    body: [{ flags: '--overlap-seconds <n>', key: 'overlapSeconds', description: 'how long the old key keeps verifying (default 86400, 0: not at all)', parse: 'int' }],
  },

  { command: 'executions list', method: 'GET', path: '/v1/executions', summary: 'List executions, or one with --condition', query: [{ flags: '--condition <condition>', key: 'condition', description: 'e.g. event/order.*' }], columns: EXECUTION },
  {
    command: 'executions set',
    method: 'PUT',
    path: '/v1/executions',
    summary: "Set a condition's ordered targets",
    file: true,
    body: [
      { flags: '--condition <condition>', key: 'condition', description: 'request/…, response/…, function/…, event/…', required: true },
      { flags: '--targets <ids>', key: 'targets', description: 'comma-separated target ids, in order', parse: 'targets' },
    ],
  },
  { command: 'executions delete', method: 'DELETE', path: '/v1/executions', summary: 'Remove an execution', query: [{ flags: '--condition <condition>', key: 'condition', description: 'its condition', required: true }] },
  { command: 'functions call', method: 'POST', path: '/v1/functions/{name}/call', summary: 'Call a function (its function/<name> execution)', body: [{ flags: '--payload <json>', key: 'payload', description: 'JSON payload', parse: 'json' }] },
  {
    command: 'events push',
    method: 'POST',
    path: '/v1/events',
    summary: 'Append an external event',
    file: true,
    body: [
      { flags: '--type <type>', key: 'type', description: 'event type' },
      { flags: '--aggregate-type <type>', key: 'aggregateType', description: 'aggregate type' },
      { flags: '--aggregate-id <id>', key: 'aggregateId', description: 'aggregate id' },
      { flags: '--payload <json>', key: 'payload', description: 'JSON payload', parse: 'json' },
    ],
  },

  { command: 'alerts list', method: 'GET', path: '/v1/alerts', summary: 'List alerts', query: page, columns: ALERT },
  { command: 'alerts get', method: 'GET', path: '/v1/alerts/{alertId}', summary: 'Show an alert and its firings' },
  { command: 'alerts create', method: 'POST', path: '/v1/alerts', summary: 'Create an alert (-f with {name, scope, scopeId?, failureRateThreshold and minRuns, or depthThreshold for scope troubleshooting, window, notifyTargetId, …})', file: true },
  { command: 'alerts delete', method: 'DELETE', path: '/v1/alerts/{alertId}', summary: 'Delete an alert' },

  { command: 'logs requests', method: 'GET', path: '/v1/logs/requests', summary: 'API requests, newest first', query: [...logRange, { flags: '--status <code>', key: 'status', description: 'HTTP status', parse: 'int' }, { flags: '--route <template>', key: 'route', description: 'route template, e.g. /v1/commands' }, { flags: '--method <method>', key: 'method', description: 'GET, POST, …' }, ...page], columns: REQUEST_LOG },
  { command: 'logs executions', method: 'GET', path: '/v1/logs/executions', summary: 'Script log lines of action runs, newest first', query: [...logRange, { flags: '--level <level>', key: 'level', description: 'info, warn or error' }, { flags: '--run-id <id>', key: 'runId', description: 'one run' }, { flags: '--action-id <id>', key: 'actionId', description: 'one action' }, ...page], columns: EXECUTION_LOG },
  { command: 'logs quota', method: 'GET', path: '/v1/logs/quota', summary: 'Quota use per action step and refused runs, newest first', query: [...logRange, { flags: '--allowed <bool>', key: 'allowed', description: 'false: refusals only' }, { flags: '--run-id <id>', key: 'runId', description: 'one run' }, ...page], columns: QUOTA_LOG },
  { command: 'instances list', method: 'GET', path: '/v1/system/instances', summary: 'List instances (system key)', query: page, columns: INSTANCE },
  { command: 'instances get', method: 'GET', path: '/v1/system/instances/{instanceId}', summary: 'Show an instance and its limits (system key)' },
  {
    command: 'instances create',
    method: 'POST',
    path: '/v1/system/instances',
    summary: 'Create an instance; prints its first admin key once (system key)',
    file: true,
    body: [
      { flags: '--id <id>', key: 'id', description: 'lowercase letters, digits, dashes', required: true },
      { flags: '--name <name>', key: 'name', description: 'display name', required: true },
      ...instanceLimits,
    ],
  },
  { command: 'instances update', method: 'PATCH', path: '/v1/system/instances/{instanceId}', summary: 'Rename an instance or change its limits (system key)', file: true, body: [{ flags: '--name <name>', key: 'name', description: 'display name' }, ...instanceLimits] },
  { command: 'instances delete', method: 'DELETE', path: '/v1/system/instances/{instanceId}', summary: 'Remove an instance: keys, running workflows, all data (system key)' },
  { command: 'quota show', method: 'GET', path: '/v1/quota', summary: "This month's action-seconds: used and limit" },
  { command: 'milestones list', method: 'GET', path: '/v1/milestones', summary: "The instance's milestones (--org: an org's), reached or not", columns: MILESTONE },

  { command: 'workflows validate', method: 'POST', path: '/v1/workflows/validate', summary: 'Validate a definition (-f: the n8n JSON)', file: 'definition' },
  { command: 'workflows list', method: 'GET', path: '/v1/workflows', summary: 'List workflows', query: [{ flags: '--name <text>', key: 'name', description: 'name contains' }, ...page], columns: WORKFLOW },
  { command: 'workflows get', method: 'GET', path: '/v1/workflows/{workflowId}', summary: 'Show a workflow with its latest definition' },
  { command: 'workflows create', method: 'POST', path: '/v1/workflows', summary: 'Create a workflow (-f: the n8n JSON)', file: 'definition', body: [{ flags: '--version-label <semver>', key: 'versionLabel', description: 'version label' }] },
  { command: 'workflows update', method: 'PUT', path: '/v1/workflows/{workflowId}', summary: 'Save a new version (-f: the n8n JSON)', file: 'definition', body: [{ flags: '--version-label <semver>', key: 'versionLabel', description: 'version label' }] },
  { command: 'workflows delete', method: 'DELETE', path: '/v1/workflows/{workflowId}', summary: 'Delete a workflow (its runs stay)' },
  { command: 'workflows versions', method: 'GET', path: '/v1/workflows/{workflowId}/versions', summary: "List a workflow's versions", columns: VERSION },
  { command: 'workflows version', method: 'GET', path: '/v1/workflows/{workflowId}/versions/{version}', summary: 'Show one version' },
  {
    command: 'workflows execute',
    method: 'POST',
    path: '/v1/workflows/{workflowId}/execute',
    summary: 'Start a run',
    body: [
      { flags: '--input <json>', key: 'input', description: 'run input (object or array)', parse: 'json' },
      { flags: '--version <n>', key: 'version', description: 'version to run (default: the latest)', parse: 'int' },
    ],
  },
  { command: 'credentials list', method: 'GET', path: '/v1/credentials', summary: 'List credentials (never their data)', query: page },
  { command: 'credentials get', method: 'GET', path: '/v1/credentials/{credentialId}', summary: 'Show a credential (never its data)' },
  { command: 'credentials create', method: 'POST', path: '/v1/credentials', summary: 'Create a credential (-f: {name, type, data})', file: true },
  { command: 'credentials rotate', method: 'PUT', path: '/v1/credentials/{credentialId}/data', summary: 'Replace its secret fields (-f: {data})', file: true },
  { command: 'credentials delete', method: 'DELETE', path: '/v1/credentials/{credentialId}', summary: 'Remove a credential' },
  { command: 'workflows activate', method: 'POST', path: '/v1/workflows/{workflowId}/activate', summary: 'Activate: its webhooks answer and its schedules run' },
  { command: 'workflows deactivate', method: 'POST', path: '/v1/workflows/{workflowId}/deactivate', summary: 'Deactivate: remove its webhooks and schedules' },
  { command: 'workflows runs', method: 'GET', path: '/v1/workflows/{workflowId}/runs', summary: "List a workflow's runs", query: [{ flags: '--status <status>', key: 'status', description: 'status' }, ...page], columns: WORKFLOW_RUN },
  { command: 'workflows all-runs', method: 'GET', path: '/v1/workflow-runs', summary: 'List the runs of every workflow, newest first', query: [{ flags: '--status <status>', key: 'status', description: 'status' }, ...page], columns: WORKFLOW_RUN },
  { command: 'workflows run', method: 'GET', path: '/v1/workflow-runs/{runId}', summary: 'Show a run with its nodes' },
  { command: 'workflows node-runs', method: 'GET', path: '/v1/workflow-runs/{runId}/nodes/{nodeName}', summary: "Show every run of one node with its whole output (n8n's run data)" },
  { command: 'workflows cancel', method: 'POST', path: '/v1/workflow-runs/{runId}/cancel', summary: 'Cancel a running run' },
  {
    command: 'workflows rerun',
    method: 'POST',
    path: '/v1/workflow-runs/{runId}/retry',
    summary: 'Rerun a finished run from a node',
    body: [
      { flags: '--from-node <name>', key: 'fromNode', description: 'default: the node that failed it' },
      { flags: '--version <n>', key: 'version', description: 'a newer version to run', parse: 'int' },
    ],
  },
  { command: 'workflows signal', method: 'POST', path: '/v1/workflow-runs/{runId}/signals/{name}', summary: 'Resume a waitForSignal node (-f or --body: the JSON body)', file: true, body: [{ flags: '--body <json>', key: '', description: 'the JSON body', parse: 'json' }] },
];

/** The path parameters of an OpenAPI path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}
