import type { Server } from 'node:http';
import type { AppCtx } from '../context';
import { RequestLogWriter } from '../logstore/requests';
import { createApp } from './app';

export interface RunningApi {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port) and returns a handle that closes gracefully. */
export async function startApi(ctx: AppCtx, host: string, port: number, serverUrl?: string): Promise<RunningApi> {
  ctx.metrics.watchTroubleshootingQueue(ctx.db);
  const requestLog = new RequestLogWriter(ctx.db, ctx.log);
  const app = createApp(ctx, { requestLog, serverUrl });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    server,
    port: actualPort,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await requestLog.flush();
    },
  };
}
