// The Temporal worker runtime is per process: install it once, forwarding Core's logs to pino.
import net from 'node:net';
import { Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../log';

class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pino: Logger) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    this.pino[method]({ ...meta, component: 'temporal' }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

let installed: Promise<string> | undefined;

/**
 * Installs the runtime once per process. Core serves its own worker metrics (task slots, poll
 * latency, sticky cache) in Prometheus format on a loopback port; returns that URL, which
 * /metrics appends to Cadenza's own.
 */
export function installRuntime(log: Logger): Promise<string> {
  installed ??= freeLoopbackPort().then((port) => {
    Runtime.install({
      logger: new PinoTemporalLogger(log.child({}, { level: coreLogLevel(log) })),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true, useSecondsForDurations: true } } },
      // Let the worker's own shutdown (SIGTERM handling in our entry points) drive the exit.
      shutdownSignals: [],
    });
    return `http://127.0.0.1:${port}/metrics`;
  });
  return installed;
}

/** Core's info lines are noise: warn and above, unless the process asks for debug or trace, or for less. */
function coreLogLevel(log: Logger): string {
  if (log.level === 'trace' || log.level === 'debug') return log.level;
  return log.levelVal > 40 ? log.level : 'warn';
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
