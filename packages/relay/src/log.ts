/**
 * The relay's default structured logger: pino, one JSON line per event (the
 * fields follow Postfix's log lines: `queueId`, `from`, `to`, `relay`,
 * `delay`, `dsn`, `status`), or a no-op logger.
 * @module
 */
import { pino } from 'pino';
import type { RelayLogger } from './options.js';

/** A pino logger writing JSON lines to stdout (`level` default `info`). */
export function defaultLogger(level = 'info'): RelayLogger {
  return pino({ name: 'netlayers-relay', level, base: { pid: process.pid } });
}

/** A logger that drops everything. */
export const nullLogger: RelayLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
};
