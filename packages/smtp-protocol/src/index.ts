/**
 * `@netlayers/smtp-protocol` — a sans-I/O SMTP codec and server/client state
 * machines (RFC 5321 with PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
 * ENHANCEDSTATUSCODES, CHUNKING/BINARYMIME, DSN, STARTTLS hook) that run over
 * any byte transport, plus `node:net` and generic Duplex adapters.
 *
 * @module
 */
export {
  SmtpError,
  SmtpCommandError,
  SmtpReplyError,
  SmtpReplySyntaxError,
  SmtpDataError,
  type SmtpErrorCode,
} from './errors.js';
export {
  type SmtpReply,
  type ReplyParserOptions,
  ReplyParser,
  parseReply,
  formatReply,
  serializeReply,
  isPositive,
  isIntermediate,
  isTransient,
  isPermanent,
} from './reply.js';
export { DEFAULT_ENHANCED_CODES, EnhancedCodes, enhancedFor, isEnhancedCode } from './enhanced.js';
export {
  type SmtpCommand,
  type SmtpVerb,
  type HeloCommand,
  type MailCommand,
  type RcptCommand,
  type BareCommand,
  type OptionalArgCommand,
  type ArgCommand,
  type BdatCommand,
  type EsmtpParams,
  type ParseCommandOptions,
  type ParsedLine,
  type LineLimitExtensions,
  CommandParser,
  parseCommand,
  formatCommand,
  serializeCommand,
  commandLineLimit,
  COMMAND_LINE_LIMIT,
  UNIMPLEMENTED_VERBS,
} from './command.js';
export {
  type PathLimits,
  type PathResult,
  parsePath,
  splitMailbox,
  isMailbox,
  isDomain,
  isDotString,
  isQuotedString,
  isAddressLiteral,
  isNonAscii,
} from './address.js';
export {
  type DataScannerOptions,
  type ScanResult,
  DataScanner,
  dotStuff,
  dotUnstuff,
  normalizeLineEndings,
  encodeData,
  findEndOfData,
} from './data.js';
export { IncomingMessage, type Envelope, type Recipient } from './message.js';
export { type BufferOwner, type RawSegment } from './owner.js';
export {
  ServerSession,
  reject,
  formatReceivedHeader,
  type ServerState,
  type ServerSessionOptions,
  type ServerHooks,
  type ServerExtensions,
  type ServerTimeouts,
  type SessionTransport,
  type SmtpResponse,
  type HookResult,
  type HookReturn,
} from './server-session.js';
export {
  ClientSession,
  type ClientState,
  type ClientSessionOptions,
  type ClientTimeouts,
  type MessageBody,
  type RawBody,
  type OutgoingEnvelope,
  type SendResult,
} from './client-session.js';
export { ConnectionLimiter, type ConnectionLimits } from './connection-limits.js';
export {
  CLOSE_GRACE_MS,
  attachServerSession,
  attachClientSession,
  type DuplexLike,
  type AttachServerOptions,
  type AttachClientOptions,
} from './duplex.js';
export {
  createServer,
  serverStartTls,
  clientStartTls,
  connect,
  sendMail,
  sendMailDetailed,
  type CreateServerOptions,
  type SmtpServer,
  type ConnectOptions,
  type SendMailOptions,
} from './node.js';
