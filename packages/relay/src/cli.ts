/**
 * `netlayers-relay`: the relay as a command (commander for the arguments,
 * pino for one JSON log line per event). SIGTERM/SIGINT stop it gracefully:
 * 421 to sessions, in-flight transactions finish, the spool stays consistent.
 * @module
 */
import { parseArgs } from './cli-args.js';
import { defaultLogger } from './log.js';
import { createRelay } from './relay.js';
import type { TcpStack } from '@netlayers/tcp';

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    if (code === 0) process.exit(0); // --help, --version
    if ((e as { code?: string }).code?.startsWith('commander.') !== true) process.stderr.write(`netlayers-relay: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const { logLevel, tap, ...relayOpts } = opts;
  const logger = defaultLogger(logLevel);
  let host: { tcp: TcpStack; close(): void } | undefined;
  if (tap !== undefined) {
    // --transport netlayers: our whole stack on a TAP interface (offloads on), driven by this process
    try {
      const { createTapHost } = await import('@netlayers/netdev-tap');
      host = createTapHost({ ifname: tap.dev, addr: tap.addr, ...(tap.gw !== undefined ? { gw: tap.gw } : {}), offloads: true, rxHeadroom: 192 });
    } catch (e) {
      logger.error({ err: (e as Error).message, code: (e as { code?: string }).code }, 'cannot open the TAP interface');
      process.exit(1);
    }
  }
  const relay = createRelay({ ...relayOpts, ...(host !== undefined ? { stack: host.tcp } : {}), logger });
  try {
    await relay.listen();
  } catch (e) {
    logger.error({ err: (e as Error).message, code: (e as { code?: string }).code }, 'cannot start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: sig }, 'stopping');
    relay.close().then(
      () => {
        host?.close();
        process.exit(0);
      },
      (e: unknown) => {
        logger.error({ err: String(e) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
