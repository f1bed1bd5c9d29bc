// deploy/compose.yaml cannot run here (no Docker), so it is held to what the cluster tests run:
// the same Cadenza processes with the same commands and variables, and the same Temporal server
// command line, config file and schema script.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { cadenzaEnv, clusterProcesses } from '../../src/cluster/cluster';
import { serverArgs, serverEnv } from '../../src/cluster/temporal-server';
import { ROOT } from '../helpers/harness';

interface Service {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const compose = parse(fs.readFileSync(path.join(ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const service = (name: string): Service => {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`deploy/compose.yaml has no service ${name}`);
  return s;
};
const names = (env: Record<string, unknown> | undefined) => Object.keys(env ?? {}).sort();

describe('deploy/compose.yaml', () => {
  const harnessEnv = cadenzaEnv({ databaseUrl: 'postgres://x', temporalAddress: 'x:1', masterKey: Buffer.alloc(32), dataDir: '/data', certificates: undefined });

  it('runs the Cadenza processes of the cluster tests with their commands and variables', () => {
    for (const spec of clusterProcesses([3000, 3001])) {
      const s = service(spec.name);
      expect({ name: spec.name, command: s.command }).toEqual({ name: spec.name, command: spec.args });
      // Inside a container the API listens on every interface.
      const composeOnly = ['CADENZA_API_HOST'];
      expect(names(s.environment).filter((n) => !composeOnly.includes(n))).toEqual(names({ ...harnessEnv, ...spec.env }));
      expect(s.environment!.CADENZA_API_PORT).toBe(spec.env.CADENZA_API_PORT);
    }
    expect(service('migrate').command).toEqual(['migrate']);
    // Only `cadenza migrate` gets the owner's URL (src/cluster/cluster.ts migrateWith).
    expect(names(service('migrate').environment)).toEqual(names({ ...harnessEnv, DATABASE_OWNER_URL: 'x' }));
  });

  it('runs the Temporal server from the config file in the repo with the command line and variables of the harness', () => {
    const temporal = service('temporal');
    expect(temporal.command).toEqual(serverArgs('/etc/cadenza'));
    expect(temporal.volumes).toContain('./temporal:/etc/cadenza/deploy/temporal:ro');
    // Inside a container the server listens on every interface.
    const composeOnly = ['TEMPORAL_SERVER_BIND_IP'];
    const env = serverEnv({ port: 7233, db: { host: 'postgres', port: 5432, user: 'temporal', password: 'x' }, tlsDir: undefined });
    expect(names(temporal.environment).filter((n) => !composeOnly.includes(n))).toEqual(names(env));
    expect(temporal.environment!.TEMPORAL_SERVER_PORT).toBe('7233');
    expect(temporal.environment!.TEMPORAL_SERVER_DB_ADDRESS).toBe('postgres:5432');
  });

  it('sets up the Temporal databases with the script the harness runs', () => {
    expect(service('temporal-schema').entrypoint).toEqual(['/etc/cadenza/deploy/temporal/setup-schema.sh']);
    expect(service('temporal-schema').volumes).toContain('./temporal:/etc/cadenza/deploy/temporal:ro');
  });
});
