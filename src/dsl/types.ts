// n8n's workflow JSON as Cadenza reads it, plus Cadenza's extension keys (documented in the
// README under "Workflows"). Pure types: the interpreter workflow imports this file too.

/** Which input item an output item came from (n8n's pairedItem). */
export interface PairedItem {
  item: number;
  /** Input index; 0 when absent. */
  input?: number;
  /** Where the item really came from, when not from the node's current input (loops). */
  sourceOverwrite?: { node: string; output: number; run: number };
}

/** One unit of data flowing between nodes, as in n8n. */
export interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, unknown>;
  pairedItem?: PairedItem | PairedItem[] | number;
}

export type OnError = 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput' | 'skip' | 'fallback';

/** Cadenza's per-node extensions, under the node's `cadenza` key. */
export interface NodeExtensions {
  /** Multiplies the wait between tries after each failure (exponential backoff); 1 = n8n's fixed wait. */
  backoffCoefficient?: number;
  /** Upper bound of the wait between tries when backoff grows it, in ms. */
  maxWaitBetweenTries?: number;
  /** With onError 'fallback': the node that runs with this node's input when it fails. */
  fallbackNode?: string;
  /** Limit of one attempt of the node, in seconds. */
  timeoutSeconds?: number;
  /** Schedule Trigger: what a due run does while the last one still runs (default allowAll, as n8n). */
  overlap?: 'allowAll' | 'skip' | 'bufferOne' | 'bufferAll';
}

export interface DagNode {
  id?: string;
  name: string;
  type: string;
  typeVersion: number;
  parameters: Record<string, unknown>;
  position?: [number, number];
  disabled?: boolean;
  retryOnFail?: boolean;
  maxTries?: number;
  waitBetweenTries?: number;
  onError?: OnError;
  continueOnFail?: boolean;
  /** n8n: the node gets only the first item of each input. */
  executeOnce?: boolean;
  /** n8n: an output that would be empty gets one empty item instead. */
  alwaysOutputData?: boolean;
  cadenza?: NodeExtensions;
  [n8nExtra: string]: unknown;
}

export interface ConnectionTarget {
  node: string;
  type: string;
  index: number;
}

/** Keyed by source node name; `main[outputIndex]` lists the targets of that output. */
export type Connections = Record<string, { main?: (ConnectionTarget[] | null)[]; [other: string]: unknown }>;

export interface DagSettings {
  /** n8n's execution order; absent means the legacy order, as in n8n. */
  executionOrder?: 'v1' | 'v0';
  /** IANA zone of $now, $today and date nodes. */
  timezone?: string;
  /** Seconds; the run is cancelled when it is exceeded. n8n uses -1 for "none". */
  executionTimeout?: number;
  /** Id of a Cadenza workflow started with the error when a run fails. */
  errorWorkflow?: string;
  /** Cadenza extension: most nodes running at once in one run. */
  maxParallel?: number;
  [n8nExtra: string]: unknown;
}

export interface DagDefinition {
  name?: string;
  nodes: DagNode[];
  connections: Connections;
  settings?: DagSettings;
  /** n8n: node name → the items the node outputs instead of running. */
  pinData?: Record<string, Item[]>;
  [n8nExtra: string]: unknown;
}
