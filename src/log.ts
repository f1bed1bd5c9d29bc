import pino from 'pino';
import { currentLogContext } from './telemetry/log-context';

export type Logger = pino.Logger;

/** `destination`: where lines go (stdout by default; tests pass a stream to read them). */
export function createLogger(level: string, name = 'cadenza', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { pid: process.pid },
    // The request id and correlation id of the work in progress go on every line.
    mixin: () => ({ ...currentLogContext() }),
    // API keys and signatures never reach the logs.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
