// Connection options for both the client (API) and the worker's NativeConnection, from config:
// plain for the embedded dev server, API key or mTLS for Temporal Cloud and clusters.
import fs from 'node:fs';
import { Client, Connection, type ConnectionLike } from '@temporalio/client';
import { LogContextClientInterceptor } from '../telemetry/log-context';
import { clientTracingInterceptor } from '../telemetry/tracing';
import type { TemporalConfig } from '../config/config';

export interface ConnectionSettings {
  address: string;
  apiKey?: string;
  tls?:
    | boolean
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
}

export function connectionSettings(cfg: TemporalConfig, address = cfg.address): ConnectionSettings {
  if (address === undefined) throw new Error('no Temporal address: set TEMPORAL_ADDRESS or use `cadenza start`');
  const settings: ConnectionSettings = { address };
  if (cfg.apiKey !== undefined) {
    settings.apiKey = cfg.apiKey;
    settings.tls = true;
  }
  if (cfg.tls !== undefined) {
    settings.tls = {
      serverNameOverride: cfg.tls.serverName,
      serverRootCACertificate: cfg.tls.caPath ? fs.readFileSync(cfg.tls.caPath) : undefined,
      clientCertPair:
        cfg.tls.certPath && cfg.tls.keyPath
          ? { crt: fs.readFileSync(cfg.tls.certPath), key: fs.readFileSync(cfg.tls.keyPath) }
          : undefined,
    };
  }
  return settings;
}

export async function connectClient(cfg: TemporalConfig, address?: string): Promise<Client> {
  const connection = await Connection.connect(connectionSettings(cfg, address));
  return newClient(connection, cfg.namespace);
}

/** Every Cadenza client: workflow starts, signals and updates carry the trace and the log context. */
export function newClient(connection: ConnectionLike, namespace: string): Client {
  return new Client({ connection, namespace, interceptors: { workflow: [clientTracingInterceptor(), new LogContextClientInterceptor()] } });
}
