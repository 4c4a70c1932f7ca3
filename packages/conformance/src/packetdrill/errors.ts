/**
 * Typed errors of the packetdrill interpreter. Each has a stable `code` and the
 * script line it refers to.
 *
 * @module
 */

/** Why a script could not be parsed. */
export type PacketdrillParseErrorCode =
  /** Not valid packetdrill syntax (as far as this grammar knows). */
  | 'SYNTAX'
  /** Valid packetdrill, but a construct this runner does not implement. */
  | 'UNSUPPORTED'
  /** A semantic rule of the language is broken (e.g. `end != start + len`). */
  | 'INVALID';

/** A script failed to parse. `line` is 1-based; `construct` names what was not understood. */
export class PacketdrillParseError extends Error {
  readonly code: PacketdrillParseErrorCode;
  readonly line: number;
  readonly construct: string;
  constructor(code: PacketdrillParseErrorCode, line: number, construct: string, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PacketdrillParseError';
    this.code = code;
    this.line = line;
    this.construct = construct;
  }
}

/** A construct the runner parsed but cannot execute: the script is SKIPped naming it. */
export class PacketdrillUnsupportedError extends Error {
  readonly code = 'UNSUPPORTED' as const;
  readonly line: number;
  readonly construct: string;
  constructor(line: number, construct: string, message?: string) {
    super(`line ${line}: unsupported ${construct}${message !== undefined ? ` (${message})` : ''}`);
    this.name = 'PacketdrillUnsupportedError';
    this.line = line;
    this.construct = construct;
  }
}

/** The stack under test behaved unlike the script: the script FAILs. */
export class PacketdrillCheckError extends Error {
  readonly code = 'CHECK' as const;
  readonly line: number;
  /** Expected and actual side by side (packets), when the failure is about a packet. */
  readonly diff: string | undefined;
  constructor(line: number, message: string, diff?: string) {
    super(`line ${line}: ${message}`);
    this.name = 'PacketdrillCheckError';
    this.line = line;
    this.diff = diff;
  }
}
