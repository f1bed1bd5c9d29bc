// Turns the declared API commands (resources.ts) into commander commands: positional arguments
// for the path, options for the query and the body, `-f` for a whole body, `-o` for the output.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { BulkRetry, CadenzaClient } from '../client';
import { ConfigError } from '../config/config';
import { OUTPUT_FORMATS, progress, render, type OutputFormat } from './output';
import { pathParams, VERBS, type Field, type Parse, type Verb } from './resources';

export interface ApiOpts {
  url?: string;
  key?: string;
  org?: string;
  output: OutputFormat;
}

export function withApiOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'API base URL').env('CADENZA_URL'))
    .addOption(new Option('--key <key>', 'API key (default: .data/bootstrap-admin-key)').env('CADENZA_API_KEY'))
    .addOption(new Option('--org <orgId>', 'X-Cadenza-Org for instance-wide keys').env('CADENZA_ORG'))
    .addOption(new Option('-o, --output <format>', 'table, json or yaml').choices(OUTPUT_FORMATS).default('table'));
}

/** A JSON or YAML document from a file, or from stdin for `-`. */
export function readDocument(file: string): unknown {
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${file === '-' ? 'stdin' : file} is not JSON or YAML: ${(err as Error).message}`]);
  }
}

function parseValue(raw: string, how: Parse, flag: string): unknown {
  const fail = (what: string) => new ConfigError([`${flag} must be ${what} (got '${raw}')`]);
  switch (how) {
    case 'string':
      return raw;
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n) || (how === 'int' && !Number.isInteger(n))) throw fail(how === 'int' ? 'an integer' : 'a number');
      return n;
    }
    case 'bool':
      if (!/^(true|false)$/.test(raw)) throw fail('true or false');
      return raw === 'true';
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw fail('JSON');
      }
    case 'json-file':
      return readDocument(raw);
    case 'file':
      return fs.readFileSync(raw, 'utf8');
    case 'list':
      return raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
    case 'ints':
      return raw.split(',').map((x) => parseValue(x.trim(), 'int', flag));
    case 'targets':
      return raw.split(',').map((x) => ({ target: x.trim() }));
  }
}

function optionFor(field: Field): Option {
  return new Option(field.flags, field.description + (field.required ? ' (required)' : ''));
}

/** Query and body values from the options given (a body field with key '' is the whole body). */
function collect(fields: Field[] | undefined, opts: Record<string, unknown>, into: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  let out = into;
  for (const f of fields ?? []) {
    const raw = opts[optionFor(f).attributeName()];
    if (raw === undefined) continue;
    const value = parseValue(String(raw), f.parse ?? 'string', f.flags.split(' ')[0]!);
    if (f.key === '') out = value as Record<string, unknown>;
    else out = withKey(out ?? {}, f.key.split('.'), value);
  }
  return out;
}

/** `obj` with `value` at the dotted path (`limits.logRetentionDays`), keeping what is there. */
function withKey(obj: Record<string, unknown>, [head, ...rest]: string[], value: unknown): Record<string, unknown> {
  return { ...obj, [head!]: rest.length === 0 ? value : withKey((obj[head!] ?? {}) as Record<string, unknown>, rest, value) };
}

function missing(fields: Field[] | undefined, values: Record<string, unknown> | undefined): string[] {
  return (fields ?? []).filter((f) => f.required && values?.[f.key] === undefined).map((f) => `${f.flags.split(' ')[0]} is required`);
}

/** The request a verb makes from its arguments and options. */
export function requestOf(verb: Verb, args: string[], opts: Record<string, unknown>): { method: string; path: string; query?: Record<string, unknown>; body?: unknown } {
  const params = pathParams(verb.path);
  let path = verb.path;
  params.forEach((p, i) => (path = path.replace(`{${p}}`, encodeURIComponent(args[i]!))));
  if (opts.instance) path = path.replace(/^\/v1\//, '/v1/instance/');
  const query = collect(verb.query, opts, undefined);
  let body: Record<string, unknown> | undefined;
  if (verb.file && typeof opts.file === 'string') {
    const doc = readDocument(opts.file);
    body = (typeof verb.file === 'string' ? { [verb.file]: doc } : doc) as Record<string, unknown>;
  }
  (verb.bodyArgs ?? []).forEach((key, i) => (body = { ...body, [key]: args[params.length + i] }));
  body = collect(verb.body, opts, body);
  const problems = [...missing(verb.query, query), ...missing(verb.body, body)];
  if (problems.length > 0) throw new ConfigError(problems);
  // Routes that take a body take an object even when every field is optional.
  if (body === undefined && (verb.body !== undefined || verb.file)) body = {};
  return { method: verb.method, path, query, body };
}

function addVerb(program: Command, verb: Verb, client: (opts: ApiOpts) => CadenzaClient): void {
  const [resource, name] = verb.command.split(' ') as [string, string];
  const group = program.commands.find((c) => c.name() === resource) ?? program.command(resource).description(`${resource}: ${VERBS.filter((v) => v.command.startsWith(`${resource} `)).map((v) => v.command.split(' ')[1]).join(', ')}`);
  const cmd = withApiOptions(group.command(name).description(verb.summary));
  for (const p of [...pathParams(verb.path), ...(verb.bodyArgs ?? [])]) cmd.argument(`<${p}>`);
  for (const f of [...(verb.query ?? []), ...(verb.body ?? [])]) cmd.addOption(optionFor(f));
  if (verb.file) cmd.option('-f, --file <path>', typeof verb.file === 'string' ? `the ${verb.file} as JSON or YAML (- reads stdin)` : 'the request body as JSON or YAML (- reads stdin)');
  if (verb.instance) cmd.option('--instance', "the instance's own (instance-wide keys), not an org's");
  cmd.action(async (...all: unknown[]) => {
    const count = pathParams(verb.path).length + (verb.bodyArgs?.length ?? 0);
    const args = all.slice(0, count) as string[];
    const opts = all[count] as ApiOpts & Record<string, unknown>;
    const req = requestOf(verb, args, opts);
    const api = client(opts);
    let answer = await api.request<unknown>(req.method, req.path, req.body, req.query as never);
    if (verb.follow === 'bulk-retry') answer = await followBulkRetry(api, answer as BulkRetry);
    console.log(render(answer, opts.output, verb.columns));
  });
}

/** Waits for a bulk retry, drawing its progress on stderr. */
async function followBulkRetry(client: CadenzaClient, started: BulkRetry): Promise<BulkRetry> {
  let b = started;
  let shown = 0;
  const bar = progress('retried', b.matched);
  for (;;) {
    for (; shown < b.retried + b.failedCount; shown++) bar.tick();
    if (b.state === 'COMPLETED') {
      bar.done();
      return b;
    }
    await new Promise((r) => setTimeout(r, 500));
    b = await client.getBulkRetry(b.id);
  }
}

export function addApiCommands(program: Command, client: (opts: ApiOpts) => CadenzaClient): void {
  for (const verb of VERBS) addVerb(program, verb, client);
}
