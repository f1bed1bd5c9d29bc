// The README's metrics table, the Grafana dashboard and the alert rules name only metrics that
// exist, and every Cadenza metric is documented.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Metrics } from '../../src/metrics/metrics';

const ROOT = path.resolve(__dirname, '../..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const ours = new Metrics().registry.getMetricsAsArray().map((m) => m.name).filter((n) => n.startsWith('cadenza_'));
const SUFFIXES = ['_bucket', '_count', '_sum'];

/** The cadenza_ metric names an expression reads, without histogram suffixes. */
function cadenzaMetricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bcadenza_[a-z_]+/g)].map(([n]) => SUFFIXES.reduce((x, s) => (x.endsWith(s) && !ours.includes(x) ? x.slice(0, -s.length) : x), n));
}

describe('observability docs', () => {
  it('documents every Cadenza metric in the README table', () => {
    expect(ours.length).toBeGreaterThan(10);
    for (const name of ours) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('ships alert rules that read existing metrics only', () => {
    const rules = parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/cadenza-alerts.yml'), 'utf8'));
    const exprs: string[] = rules.groups.flatMap((g: { rules: { expr: string }[] }) => g.rules.map((r) => r.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(5);
    for (const e of exprs) for (const name of cadenzaMetricsIn(e)) expect(ours).toContain(name);
    const all = exprs.join('\n');
    for (const needed of ['cadenza_troubleshooting_queue_depth', 'cadenza_commands_failed_total', 'cadenza_event_dispatcher_lag_seconds']) expect(all).toContain(needed);
  });

  it('ships a Grafana dashboard whose panels read existing metrics only', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/cadenza.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    for (const e of exprs) for (const name of cadenzaMetricsIn(e)) expect(ours).toContain(name);
    const used = new Set(exprs.flatMap(cadenzaMetricsIn));
    expect(ours.filter((n) => !used.has(n))).toEqual([]);
  });
});
