// How the CLI shows answers: a table by default (a list as rows, one object as fields), or the
// API's own JSON (`-o json`) or YAML (`-o yaml`) for scripts. Errors go to stderr, readably,
// with an exit code that says what kind of failure it was.
import { stringify } from 'yaml';
import { CadenzaApiError } from '../client';
import { ConfigError } from '../config/config';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Exit codes scripts can test (README: The cadenza command). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  invalid: 5,
  denied: 6,
  unavailable: 7,
} as const;

const MAX_CELL = 60;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const line = text.replace(/\s+/g, ' ');
  return line.length > MAX_CELL ? `${line.slice(0, MAX_CELL - 1)}…` : line;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function isPage(value: unknown): value is { items: Record<string, unknown>[]; nextCursor?: string | null } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items);
}

/** Rows of `items` under `columns` (or every key the items have, in order of appearance). */
export function renderRows(items: Record<string, unknown>[], columns?: string[]): string {
  if (items.length === 0) return 'No items.';
  const cols = columns ?? [...new Set(items.flatMap((i) => Object.keys(i)))];
  return table([cols.map((c) => c.toUpperCase()), ...items.map((i) => cols.map((c) => cell(i[c])))]);
}

export function render(value: unknown, format: OutputFormat, columns?: string[]): string {
  if (format === 'json') return JSON.stringify(value ?? null, null, 2);
  if (format === 'yaml') return stringify(value ?? null).trimEnd();
  if (value === undefined || value === null) return 'Done.';
  if (Array.isArray(value)) return renderRows(value as Record<string, unknown>[], columns);
  if (isPage(value)) {
    const rows = renderRows(value.items, columns);
    return value.nextCursor ? `${rows}\n(more: --cursor ${value.nextCursor})` : rows;
  }
  if (typeof value !== 'object') return String(value);
  return table(Object.entries(value as Record<string, unknown>).map(([k, v]) => [`${k}:`, cell(v)]));
}

function exitCodeOf(status: number): number {
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status >= 500 || status === 429) return EXIT.unavailable;
  if (status >= 400) return EXIT.invalid;
  return EXIT.failed;
}

/** The message and exit code for an error the CLI cannot go on from. */
export function describeError(err: unknown): { message: string; code: number } {
  if (err instanceof ConfigError) return { message: err.message, code: EXIT.usage };
  if (err instanceof CadenzaApiError) {
    const p = err.problem;
    const lines = [`Error: ${p.title ?? 'Error'} (HTTP ${err.status}): ${p.detail ?? ''}`.trimEnd()];
    for (const e of p.errors ?? []) lines.push(`  ${e.field}: ${e.message}`);
    if (p.requestId) lines.push(`  request id: ${p.requestId}`);
    return { message: lines.join('\n'), code: exitCodeOf(err.status) };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (e.name === 'TypeError' && e.message === 'fetch failed') {
    return { message: `Error: cannot reach the API (${cause?.code ?? cause?.message ?? 'no answer'}); check --url or CADENZA_URL`, code: EXIT.unavailable };
  }
  if (e.name === 'TimeoutError') return { message: 'Error: the API did not answer in time', code: EXIT.unavailable };
  return { message: `Error: ${e.message}`, code: EXIT.failed };
}

/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per step otherwise (CI
 * logs). Stdout stays clean for the output itself.
 */
export function progress(label: string, total: number): { tick(note?: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let n = 0;
  const draw = (note = '') => {
    const width = 24;
    const filled = total === 0 ? width : Math.round((n / total) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total} ${label}${note ? `: ${note}` : ''}`;
    process.stderr.write(tty ? `\r\x1b[2K${bar}` : `${bar}\n`);
  };
  return {
    tick(note?: string) {
      n++;
      draw(note);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
