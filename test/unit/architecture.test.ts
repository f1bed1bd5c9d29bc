// docs/architecture.md shows the layers as dependency-cruiser sees them: the graph is redrawn from
// the code and must match what is committed (`make architecture` redraws it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

describe('docs/architecture.md', () => {
  it('holds the layer graph drawn from the current imports', () => {
    const check = spawnSync(process.execPath, ['scripts/architecture-graph.js', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  }, 60_000);

  it('walks a plain send through files that exist', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const walk = doc.slice(doc.indexOf('## The walk of a plain send'));
    const files = [...new Set([...walk.matchAll(/`([a-z-]+\/)*[a-z-]+\.ts`/g)].map(([m]) => m.slice(1, -1)))];
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => !fs.existsSync(path.join(ROOT, 'src', f)))).toEqual([]);
  });
});
