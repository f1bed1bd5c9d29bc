// Connection options for both the client (API) and the worker's NativeConnection, from config:
// plain for the embedded dev server, API key or mTLS for Temporal Cloud and clusters.
import fs from 'node:fs';
import { Client, Connection, isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
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

/** What a connection needs of the configuration. */
export type ClientTemporalConfig = Pick<TemporalConfig, 'address' | 'apiKey' | 'tls'>;

export function connectionSettings(cfg: ClientTemporalConfig, address = cfg.address): ConnectionSettings {
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

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: the server is down, restarting or too slow to answer. */
const UNAVAILABLE_CODES = new Set([14, 4]);

/** True when `err` (or an error it wraps) means the Temporal server could not be reached in time. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) return true;
    if ((e as { name?: unknown }).name === 'TransportError') return true;
  }
  return false;
}
