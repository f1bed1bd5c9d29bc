import { ConfigError, loadConfig, parseMasterKey } from '../../src/config/config';

const problemsOf = (env: Record<string, string>, role: Parameters<typeof loadConfig>[1]): string[] => {
  try {
    loadConfig(env, role);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('configuration', () => {
  it('needs nothing for the embedded default', () => {
    const config = loadConfig({}, 'start');
    expect(config.api.port).toBe(3000);
    expect(config.temporal.embeddedUiPort).toBe(8233);
    expect(config.database.url).toBeUndefined();
    expect(config.worker.demoHandlers).toBe(true);
  });

  it('names each missing variable for the separate parts', () => {
    const problems = problemsOf({}, 'worker');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^DATABASE_URL is required for `cadenza worker`/);
    expect(problems[1]).toMatch(/^TEMPORAL_ADDRESS is required/);
    expect(problems[2]).toMatch(/^CADENZA_MASTER_KEY is required/);
    expect(problemsOf({ DATABASE_URL: 'postgres://localhost/x' }, 'migrate')).toEqual([]);
  });

  it('gives one message per mistake, naming the variable', () => {
    const problems = problemsOf(
      {
        CADENZA_API_PORT: 'eighty',
        DATABASE_URL: 'mysql://db/x',
        TEMPORAL_ADDRESS: 'no-port',
        CADENZA_MASTER_KEY: 'short',
        CADENZA_DEMO_HANDLERS: 'maybe',
        CADENZA_WORKER_DOMAINS: 'billing,Bad Domain',
        CADENZA_LOG_LEVEL: 'loud',
        TEMPORAL_TLS_CERT_PATH: '/x.crt',
      },
      'api',
    );
    const named = problems.map((p) => p.split(' ')[0]);
    expect(named.sort()).toEqual(
      [
        'CADENZA_API_PORT',
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
        'CADENZA_MASTER_KEY',
        'CADENZA_DEMO_HANDLERS',
        'CADENZA_WORKER_DOMAINS',
        'CADENZA_LOG_LEVEL',
        'TEMPORAL_TLS_CERT_PATH',
      ].sort(),
    );
    expect(problems.join('\n')).not.toContain('mysql://db/x:');
  });

  it('accepts a master key as base64 or hex, and nothing else', () => {
    expect(parseMasterKey(Buffer.alloc(32, 7).toString('base64'))).toHaveLength(32);
    expect(parseMasterKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseMasterKey('ab'.repeat(16))).toBeUndefined();
  });
});
