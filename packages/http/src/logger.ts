import { type Logger, pino } from 'pino';

/**
 * The service's logger: JSON lines on stdout at `level` (CALLPERMIT_LOG_LEVEL: fatal, error, warn, info, debug,
 * trace or silent). What is logged never includes a token, a signature, a query string or a body.
 */
export function createLogger(level = 'info'): Logger {
  return pino({ level, base: { service: 'callpermit' } });
}
