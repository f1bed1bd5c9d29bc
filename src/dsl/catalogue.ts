// The README's table of node types, generated from the registry (test/unit/readme.test.ts checks
// that the README holds exactly this). Regenerate with `node -e "console.log(require('./dist/dsl/catalogue').nodeTable())"`.
import { builtinRegistry } from './builtins';
import type { NodeRegistry } from './registry';

const KIND: Record<string, string> = {
  activity: 'activity',
  trigger: 'start of a run',
  wait: 'timer in the workflow',
  signal: 'signal in the workflow',
  subworkflow: 'child workflow',
  command: 'command bus',
  decoration: 'never runs',
};

export function nodeTable(registry: NodeRegistry = builtinRegistry()): string {
  const rows = registry
    .types()
    .map((t) => `| \`${t.type}\` | ${t.versions.join(', ')} | ${KIND[t.kind]} | ${t.description} |`)
    .join('\n');
  return `| type | versions | runs as | what it does |\n|---|---|---|---|\n${rows}\n`;
}
