/**
 * The packetdrill-script interpreter: parser, printer and runner.
 * @module
 */
export type * from './ast.js';
export { PacketdrillParseError, PacketdrillUnsupportedError, PacketdrillCheckError, type PacketdrillParseErrorCode } from './errors.js';
export { Scanner, substituteDefines } from './lexer.js';
export { parseScript, parsePacketLine } from './parser.js';
export { printTcpPacket, printTcpOptions, printTcpOption } from './printer.js';
export { encodeScriptOptions, decodeWireOptions, type WireTcpOption, type OptionMapper } from './tcp-options.js';
export { ScriptHost, type ScriptHostOptions, type Captured } from './harness.js';
export { DEFAULT_PROFILE, defaultProfileConfig } from './profile.js';
export { runScriptText, sideBySide, type RunResult, type RunOptions } from './runner.js';
export { main as packetdrillMain, formatResult, formatSummary } from './cli-main.js';
