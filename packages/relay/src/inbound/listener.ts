/**
 * What both inbound transports provide to the relay.
 * @module
 */
import type { ServerSession } from '@netlayers/smtp-protocol';
import type { Endpoint } from '../addr.js';

export interface InboundListener {
  listen(): Promise<Endpoint>;
  /** Stops accepting; 421 to sessions between transactions, the others finish theirs first (`ServerSession.drain`); resolves when all are closed (or after `graceMs`, aborting the rest). */
  close(graceMs: number): Promise<void>;
  readonly sessions: ReadonlySet<ServerSession>;
}
