// `cadenza apply -f <file|dir>`: declarative definitions (YAML or JSON documents with a `kind`)
// compared with what the API has, shown as a plan, then applied in dependency order (targets and
// actions before what names them). Applying the same files twice changes nothing the second time.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import type { CadenzaClient } from '../client';
import { ConfigError } from '../config/config';
import { progress, render } from './output';
import { withApiOptions, type ApiOpts } from './verbs';

export const KINDS = ['Target', 'Action', 'FlowTrigger', 'Execution', 'Alert', 'Workflow'] as const;
export type Kind = (typeof KINDS)[number];

export interface Definition {
  kind: Kind;
  /** Where it was read, for messages and relative file references. */
  source: string;
  spec: Record<string, any>;
}

export interface Change {
  kind: Kind;
  name: string;
  action: 'create' | 'update' | 'replace' | 'unchanged';
  /** The fields that differ (update, replace). */
  fields: string[];
}

type Item = Record<string, any>;

/** Reads every .yaml, .yml and .json file of a folder (in name order), or one file; `-` is stdin. */
export function readDefinitions(target: string): Definition[] {
  const files =
    target !== '-' && fs.statSync(target).isDirectory()
      ? fs.readdirSync(target).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => path.join(target, f))
      : [target];
  return files.flatMap((file) => {
    const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
    return parseAllDocuments(text).flatMap((doc, i) => {
      if (doc.errors.length > 0) throw new ConfigError([`${file}: ${doc.errors[0]!.message}`]);
      const value = doc.toJSON() as unknown;
      const list = Array.isArray(value) ? value : value === null ? [] : [value];
      return list.map((spec, j) => definitionOf(spec, `${file}#${i + j + 1}`, path.dirname(file)));
    });
  });
}

function definitionOf(spec: unknown, source: string, dir: string): Definition {
  if (typeof spec !== 'object' || spec === null) throw new ConfigError([`${source}: a definition must be an object with a kind`]);
  const { kind, ...rest } = spec as Item;
  if (!KINDS.includes(kind)) throw new ConfigError([`${source}: kind must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind)})`]);
  // Scripts and workflow definitions may live in their own files, next to the definition.
  if (typeof rest.scriptFile === 'string') rest.script = fs.readFileSync(path.resolve(dir, rest.scriptFile), 'utf8');
  if (typeof rest.definitionFile === 'string') rest.definition = JSON.parse(fs.readFileSync(path.resolve(dir, rest.definitionFile), 'utf8'));
  delete rest.scriptFile;
  delete rest.definitionFile;
  return { kind, source, spec: rest };
}

const nameOf = (d: Definition): string => {
  const s = d.spec;
  if (d.kind === 'FlowTrigger') return `${s.instance ? 'instance ' : ''}${s.flowType}/${s.triggerType}`;
  if (d.kind === 'Execution') return String(s.condition);
  return `${d.kind === 'Action' && s.instance ? 'instance ' : ''}${s.name}`;
};

/** Canonical JSON: the same value with keys in any order gives the same text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Item)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

function differing(desired: Item, current: Item, fields: string[]): string[] {
  return fields.filter((f) => desired[f] !== undefined && canonical(desired[f]) !== canonical(current[f]));
}

async function all(client: CadenzaClient, p: string, query: Record<string, string> = {}): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.request<{ items: Item[]; nextCursor: string | null }>('GET', p, undefined, { ...query, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

const actionsPath = (instance: unknown) => (instance ? '/v1/instance/actions' : '/v1/actions');
const flowsPath = (instance: unknown) => (instance ? '/v1/instance/flows' : '/v1/flows');

/** What the API has now, by name, and the ids that names resolve to (new ones once created). */
class State {
  targets = new Map<string, Item>();
  actions = new Map<string, Item>();
  alerts = new Map<string, Item>();
  workflows = new Map<string, Item>();

  static async load(client: CadenzaClient, defs: Definition[]): Promise<State> {
    const s = new State();
    for (const t of await all(client, '/v1/targets')) s.targets.set(t.name, t);
    for (const instance of [false, true]) {
      if (!defs.some((d) => (d.kind === 'Action' || d.kind === 'FlowTrigger') && Boolean(d.spec.instance) === instance)) continue;
      for (const a of await all(client, actionsPath(instance))) s.actions.set(`${instance ? 'instance ' : ''}${a.name}`, a);
    }
    for (const a of await all(client, '/v1/alerts')) s.alerts.set(a.name, a);
    for (const d of defs.filter((x) => x.kind === 'Workflow')) {
      const found = (await all(client, '/v1/workflows', { name: d.spec.name })).find((w) => w.name === d.spec.name);
      if (found) s.workflows.set(found.name, await client.request('GET', `/v1/workflows/${encodeURIComponent(found.id)}`));
    }
    return s;
  }

  targetId(name: string): string {
    return this.targets.get(name)?.id ?? `<new target ${name}>`;
  }

  actionId(name: string, instance: unknown): string {
    return this.actions.get(`${instance ? 'instance ' : ''}${name}`)?.id ?? `<new action ${name}>`;
  }
}

/** An execution's entries with target names replaced by ids. */
function executionEntries(spec: Item, state: State): Item[] {
  return (spec.targets ?? []).map((e: Item) => (e.target !== undefined ? { target: state.targetId(e.target) } : { include: e.include }));
}

function alertBody(spec: Item, state: State): Item {
  const { notifyTarget, ...rest } = spec;
  return { ...rest, notifyTargetId: notifyTarget !== undefined ? state.targetId(notifyTarget) : spec.notifyTargetId };
}

const TARGET_FIELDS = ['type', 'endpoint', 'timeoutSeconds', 'interruptOnError', 'retryPolicy'];
const ACTION_FIELDS = ['script', 'api', 'timeoutSeconds', 'allowedToFail'];
const ALERT_FIELDS = ['scope', 'scopeId', 'failureRateThreshold', 'window', 'minRuns', 'depthThreshold', 'notifyTargetId', 'evaluateEverySeconds'];

async function compare(client: CadenzaClient, d: Definition, state: State): Promise<Change> {
  const s = d.spec;
  const change = (current: Item | undefined, fields: string[], changedAction: Change['action'] = 'update'): Change => ({
    kind: d.kind,
    name: nameOf(d),
    action: current === undefined ? 'create' : fields.length > 0 ? changedAction : 'unchanged',
    fields: current === undefined ? [] : fields,
  });
  switch (d.kind) {
    case 'Target': {
      const current = state.targets.get(s.name);
      return change(current, current ? differing(s, current, TARGET_FIELDS) : []);
    }
    case 'Action': {
      const current = state.actions.get(nameOf(d));
      return change(current, current ? differing(s, current, ACTION_FIELDS) : []);
    }
    case 'FlowTrigger': {
      const flow = await client.request<Item>('GET', `${flowsPath(s.instance)}/${encodeURIComponent(s.flowType)}`);
      const current: string[] = (flow.triggers.find((t: Item) => t.triggerType === s.triggerType)?.actions ?? []).map((a: Item) => a.name);
      return { kind: d.kind, name: nameOf(d), action: canonical(current) === canonical(s.actions ?? []) ? 'unchanged' : current.length === 0 ? 'create' : 'update', fields: current.length === 0 ? [] : ['actions'] };
    }
    case 'Execution': {
      const found = await client.request<{ items: Item[] }>('GET', '/v1/executions', undefined, { condition: s.condition }).catch((err: { status?: number }) => {
        if (err.status === 404) return { items: [] };
        throw err;
      });
      const current = found.items[0];
      return change(current, current && canonical(current.targets) !== canonical(executionEntries(s, state)) ? ['targets'] : []);
    }
    case 'Alert': {
      const current = state.alerts.get(s.name);
      return change(current, current ? differing(alertBody(s, state), current, ALERT_FIELDS) : [], 'replace');
    }
    case 'Workflow': {
      const current = state.workflows.get(s.name);
      return change(current, current && canonical(current.definition) !== canonical(s.definition) ? ['definition'] : []);
    }
  }
}

async function carryOut(client: CadenzaClient, d: Definition, c: Change, state: State): Promise<void> {
  const s = d.spec;
  const pick = (fields: string[]) => Object.fromEntries(fields.filter((f) => s[f] !== undefined).map((f) => [f, s[f]]));
  switch (d.kind) {
    case 'Target': {
      const current = state.targets.get(s.name);
      const saved = current ? await client.request<Item>('PATCH', `/v1/targets/${current.id}`, pick(c.fields)) : await client.request<Item>('POST', '/v1/targets', s);
      state.targets.set(s.name, saved);
      return;
    }
    case 'Action': {
      const { instance, ...body } = s;
      const current = state.actions.get(nameOf(d));
      const saved = current
        ? await client.request<Item>('PATCH', `${actionsPath(instance)}/${current.id}`, pick(c.fields))
        : await client.request<Item>('POST', actionsPath(instance), body);
      state.actions.set(nameOf(d), saved);
      return;
    }
    case 'FlowTrigger': {
      const actionIds = (s.actions ?? []).map((name: string) => state.actionId(name, s.instance));
      await client.request('PUT', `${flowsPath(s.instance)}/${encodeURIComponent(s.flowType)}/triggers/${encodeURIComponent(s.triggerType)}`, { actionIds });
      return;
    }
    case 'Execution':
      await client.request('PUT', '/v1/executions', { condition: s.condition, targets: executionEntries(s, state) });
      return;
    case 'Alert': {
      const current = state.alerts.get(s.name);
      if (current) await client.request('DELETE', `/v1/alerts/${current.id}`);
      state.alerts.set(s.name, await client.request<Item>('POST', '/v1/alerts', alertBody(s, state)));
      return;
    }
    case 'Workflow': {
      const current = state.workflows.get(s.name);
      const body = { name: s.name, definition: s.definition, ...(s.versionLabel !== undefined ? { versionLabel: s.versionLabel } : {}) };
      if (current) await client.request('PUT', `/v1/workflows/${current.id}`, body);
      else await client.request('POST', '/v1/workflows', body);
      return;
    }
  }
}

const SIGN: Record<Change['action'], string> = { create: '+', update: '~', replace: '-/+', unchanged: '=' };

export function planText(plan: Change[]): string {
  const count = (a: Change['action']) => plan.filter((c) => c.action === a).length;
  const lines = plan.map((c) => `  ${SIGN[c.action].padEnd(3)} ${c.kind} ${c.name}${c.fields.length > 0 ? ` (${c.fields.join(', ')})` : ''}`);
  return [`Plan: ${count('create')} to create, ${count('update')} to update, ${count('replace')} to replace, ${count('unchanged')} unchanged.`, ...lines].join('\n');
}

/** Compares every definition, in apply order, with the API's state; applies the plan unless `dryRun`. */
export async function apply(client: CadenzaClient, defs: Definition[], options: { dryRun: boolean; onPlan: (plan: Change[]) => void }): Promise<Change[]> {
  const ordered = [...defs].sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  const names = new Set<string>();
  for (const d of ordered) {
    const key = `${d.kind} ${nameOf(d)}`;
    if (names.has(key)) throw new ConfigError([`${d.source}: ${key} is defined twice`]);
    names.add(key);
  }
  const state = await State.load(client, ordered);
  const plan: Change[] = [];
  for (const d of ordered) plan.push(await compare(client, d, state));
  options.onPlan(plan);
  if (options.dryRun) return plan;
  const todo = ordered.map((d, i) => [d, plan[i]!] as const).filter(([, c]) => c.action !== 'unchanged');
  const bar = progress('applied', todo.length);
  for (const [d, c] of todo) {
    await carryOut(client, d, c, state);
    bar.tick(`${c.kind} ${c.name}`);
  }
  bar.done();
  return plan;
}

export function addApplyCommand(program: Command, client: (opts: ApiOpts) => CadenzaClient): void {
  withApiOptions(program.command('apply').description('Apply definitions (Target, Action, FlowTrigger, Execution, Alert, Workflow) from YAML or JSON files: shows the plan, then applies it'))
    .requiredOption('-f, --file <path>', 'a file, a folder of .yaml/.yml/.json files, or - for stdin')
    .option('--dry-run', 'show the plan only')
    .action(async (opts: ApiOpts & { file: string; dryRun?: boolean }) => {
      const defs = readDefinitions(opts.file);
      const plan = await apply(client(opts), defs, {
        dryRun: opts.dryRun === true,
        onPlan: (p) => {
          if (opts.output === 'table') console.log(planText(p));
        },
      });
      if (opts.output !== 'table') console.log(render({ dryRun: opts.dryRun === true, changes: plan }, opts.output));
      else console.log(opts.dryRun ? 'Dry run: nothing was changed.' : `Applied ${plan.filter((c) => c.action !== 'unchanged').length} change(s).`);
    });
}
