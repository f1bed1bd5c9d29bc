import fs from 'node:fs';
import path from 'node:path';
import { INTERNAL_AGGREGATE_TYPES } from '../../src/eventstore/eventstore';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe("Cadenza's own aggregate types", () => {
  it('lists every aggregate type the code appends, so external events can never write into one', () => {
    const appended = new Set<string>();
    for (const file of sources(path.resolve(__dirname, '../../src'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/aggregateType: '([a-z_]+)'/g)) appended.add(m[1]!);
    }
    expect(appended.size).toBeGreaterThan(10);
    expect([...appended].filter((t) => !INTERNAL_AGGREGATE_TYPES.includes(t))).toEqual([]);
  });
});
