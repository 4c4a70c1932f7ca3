/**
 * Bridges from the plain generated data to the codec's types
 * (`SmtpCommand`, `SmtpReply` of `@netlayers/smtp-protocol`), so property
 * tests can compare what the parser returns with what was generated.
 */
import type fc from 'fast-check';
import type { EsmtpParams, SmtpCommand, SmtpReply } from '../../index.js';
import { commandArb } from './command.js';
import type { CommandArbitraryOptions, GeneratedCommand } from './command.js';
import type { EsmtpParam } from './params.js';
import { replyArb } from './reply.js';
import type { GeneratedReply, ReplyArbitraryOptions } from './reply.js';

/** The mailbox inside a path: brackets and any source route removed (RFC 5321 appendix C). */
export function pathMailbox(path: string): string {
  let inner = path.startsWith('<') && path.endsWith('>') ? path.slice(1, -1) : path;
  if (inner.startsWith('@')) {
    const colon = inner.indexOf(':');
    if (colon >= 0) inner = inner.slice(colon + 1);
  }
  return inner;
}

/** Parameters as the codec represents them: upper-case keywords, `true` for no value. */
export function toEsmtpParams(params: readonly EsmtpParam[]): EsmtpParams {
  const out: Record<string, string | true> = {};
  for (const p of params) out[p.keyword.toUpperCase()] = p.value ?? true;
  return out;
}

/** The codec's `SmtpCommand` for a generated command (verbs upper-cased). */
export function toSmtpCommand(c: GeneratedCommand): SmtpCommand {
  switch (c.verb) {
    case 'EHLO':
    case 'HELO':
      return { verb: c.verb, domain: c.domain };
    case 'MAIL':
      return { verb: 'MAIL', address: pathMailbox(c.path), params: toEsmtpParams(c.params) };
    case 'RCPT':
      return { verb: 'RCPT', address: pathMailbox(c.path), params: toEsmtpParams(c.params) };
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      return { verb: c.verb };
    case 'NOOP':
    case 'HELP':
      return c.arg === undefined ? { verb: c.verb } : { verb: c.verb, argument: c.arg };
    case 'VRFY':
    case 'EXPN':
      return { verb: c.verb, argument: c.arg };
    case 'BDAT':
      return { verb: 'BDAT', size: c.size, last: c.last };
  }
}

/** The codec's `SmtpReply` for a generated reply. */
export function toSmtpReply(r: GeneratedReply): SmtpReply {
  return r.enhanced === undefined ? { code: r.code, lines: [...r.lines] } : { code: r.code, enhanced: r.enhanced, lines: [...r.lines] };
}

/** Valid commands as the codec's `SmtpCommand` values. */
export function smtpCommandArb(opts: CommandArbitraryOptions = {}): fc.Arbitrary<SmtpCommand> {
  return commandArb(opts).map(toSmtpCommand);
}

/** Replies as the codec's `SmtpReply` values (every line ≤ 512 octets once serialized). */
export function smtpReplyArb(opts: ReplyArbitraryOptions = {}): fc.Arbitrary<SmtpReply> {
  return replyArb(opts).map(toSmtpReply);
}
