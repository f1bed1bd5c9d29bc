import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'cadenza'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    // API keys and signatures never reach the logs.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
  });
}
