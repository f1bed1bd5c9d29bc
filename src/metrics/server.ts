// The separate metrics listener (CADENZA_METRICS_PORT) of `cadenza worker`, `cadenza api` and
// `cadenza start`: GET /metrics only, open unless CADENZA_METRICS_TOKEN is set.
import http from 'node:http';
import type { Config } from '../config/config';
import type { Logger } from '../log';
import { METRICS_CONTENT_TYPE, scrapeAllowed, type Metrics } from './metrics';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: Metrics, config: Config['metrics'], log: Logger): Promise<MetricsServer | undefined> {
  if (config.port === undefined) return undefined;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') return answer(res, 404, 'only GET /metrics is served here\n');
    const allowed = scrapeAllowed(config.token, req.headers.authorization, true);
    if (allowed !== 'yes') return answer(res, 401, 'the metrics token is missing or wrong\n', { 'www-authenticate': 'Bearer' });
    metrics.text().then(
      (text) => answer(res, 200, text, { 'content-type': METRICS_CONTENT_TYPE }),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        answer(res, 500, 'metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/metrics`;
  log.info({ url }, 'metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function answer(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
