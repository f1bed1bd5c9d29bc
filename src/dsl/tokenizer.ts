// Linear-time scanning of n8n expressions: the `{{ … }}` blocks of a parameter string, plain
// data paths inside a block, and the node names a string reads through $('Name'),
// $node["Name"] or $items("Name"). Every scan moves forward only (no backtracking regex), so
// the work is proportional to the input; `work` counts it for the tests that check this.

export type Segment = { text: string } | { code: string };

/** Characters visited by the scanners since the process started (a measure of work, not time). */
export const work = { steps: 0 };

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('=');
}

/** Splits the body of an expression string (after '=') into text and `{{ }}` code segments. */
export function segments(body: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  while (pos < body.length) {
    const open = body.indexOf('{{', pos);
    const close = open < 0 ? -1 : body.indexOf('}}', open + 2);
    if (open < 0 || close < 0) {
      work.steps += body.length - pos;
      out.push({ text: body.slice(pos) });
      break;
    }
    work.steps += close + 2 - pos;
    if (open > pos) out.push({ text: body.slice(pos, open) });
    out.push({ code: body.slice(open + 2, close).trim() });
    pos = close + 2;
  }
  return out;
}

/** The code of every `{{ }}` block of an expression string. */
export function blocks(expression: string): string[] {
  return segments(expression.slice(1)).flatMap((s) => ('code' in s ? [s.code] : []));
}

const NAME_START = /[A-Za-z_$]/;
const NAME_PART = /[A-Za-z0-9_$]/;

export type PathStep = { key: string | number } | { call: 'first' | 'last' | 'all' | 'toString' };
/** A plain data path: read directly, without JavaScript. */
export interface DataPath {
  root: '$json' | '$input' | '$node' | '$runIndex' | '$itemIndex';
  node?: string;
  steps: PathStep[];
}

const CALLS = new Set(['first', 'last', 'all', 'toString']);

/** Parses a block that is only a data path, or returns undefined (the block is JavaScript). */
export function parseDataPath(src: string): DataPath | undefined {
  let i = 0;
  const n = src.length;
  const name = (): string | undefined => {
    if (i >= n || !NAME_START.test(src[i]!)) return undefined;
    const start = i++;
    while (i < n && NAME_PART.test(src[i]!)) i++;
    work.steps += i - start;
    return src.slice(start, i);
  };
  const quoted = (): string | undefined => {
    const q = src[i];
    if (q !== '"' && q !== "'") return undefined;
    const end = src.indexOf(q, i + 1);
    if (end < 0) return undefined;
    const s = src.slice(i + 1, end);
    work.steps += end + 1 - i;
    if (s.includes('\\')) return undefined;
    i = end + 1;
    return s;
  };
  const root = name();
  let path: DataPath;
  if (root === '$json' || root === '$input' || root === '$runIndex' || root === '$itemIndex') path = { root, steps: [] };
  else if (root === '$node' && src[i] === '[') {
    i++;
    const node = quoted();
    if (node === undefined || src[i] !== ']') return undefined;
    i++;
    path = { root: '$node', node, steps: [] };
  } else if (root === '$' && src[i] === '(') {
    i++;
    const node = quoted();
    if (node === undefined || src[i] !== ')') return undefined;
    i++;
    path = { root: '$node', node, steps: [] };
  } else return undefined;
  while (i < n) {
    work.steps++;
    const ch = src[i];
    if (ch === '.') {
      i++;
      const key = name();
      if (key === undefined) return undefined;
      if (src[i] === '(') {
        if (src[i + 1] !== ')' || !CALLS.has(key)) return undefined;
        i += 2;
        path.steps.push({ call: key as 'first' });
      } else path.steps.push({ key });
    } else if (ch === '[') {
      i++;
      if (src[i] === '"' || src[i] === "'") {
        const key = quoted();
        if (key === undefined) return undefined;
        path.steps.push({ key });
      } else {
        const start = i;
        while (i < n && src[i]! >= '0' && src[i]! <= '9') i++;
        if (i === start) return undefined;
        path.steps.push({ key: Number(src.slice(start, i)) });
      }
      if (src[i] !== ']') return undefined;
      i++;
    } else return undefined;
  }
  if ((path.root === '$runIndex' || path.root === '$itemIndex') && path.steps.length > 0) return undefined;
  return path;
}

const REF_OPENERS = ['$(', '$node[', '$items('];

/** Names of nodes a string reads through $('Name'), $node["Name"] or $items("Name"). */
export function nodeRefsIn(text: string, into: Set<string>): Set<string> {
  let pos = 0;
  for (;;) {
    const at = text.indexOf('$', pos);
    if (at < 0) {
      work.steps += text.length - pos;
      return into;
    }
    work.steps += at + 1 - pos;
    const opener = REF_OPENERS.find((o) => text.startsWith(o, at));
    pos = at + 1;
    if (opener === undefined) continue;
    let i = at + opener.length;
    while (text[i] === ' ') i++;
    const q = text[i];
    if (q !== '"' && q !== "'") continue;
    const end = text.indexOf(q, i + 1);
    if (end < 0) continue;
    work.steps += end - at;
    into.add(text.slice(i + 1, end));
    // Resume after the closing quote: the name itself is never scanned twice.
    pos = end + 1;
  }
}
