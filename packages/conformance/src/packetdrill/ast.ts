/**
 * The typed syntax tree of a packetdrill script (the language of Google's
 * packetdrill, as summarised in `shared/conformance/packetdrill/README.md`).
 * Every node carries the 1-based line it came from so failures can quote it.
 *
 * @module
 */

/** When an event happens. Seconds are kept as microseconds (integers). */
export type EventTime =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  | { kind: 'range'; start: number; end: number; relative: boolean }
  | { kind: 'any' };

/** One TCP option as written in a script, in order. */
export type ScriptTcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'TS'; val: number; ecr: number }
  | { kind: 'md5'; hex: string }
  | { kind: 'FO'; cookie: string | undefined; exp: boolean }
  | { kind: 'ecn'; name: string; values: number[] };

/** IP-level attributes written before the TCP part of a packet. */
export interface IpInfo {
  ecn?: 'ect0' | 'ect1' | 'ce' | 'noecn' | 'ect01';
  tos?: number;
  ttl?: number;
  flowlabel?: number;
}

/** A TCP packet line. `options` undefined = no options; `'any'` = `<...>`. */
export interface TcpPacketSpec {
  proto: 'tcp';
  direction: 'inbound' | 'outbound';
  ip: IpInfo;
  ports: { src: number; dst: number } | undefined;
  /** Flag letters as written (`S.`, `P.`, `F.`, `-`, ...). */
  flags: string;
  /** AccECN ACE digit when given. */
  ace: number | undefined;
  start: number;
  end: number;
  len: number;
  ack: number | undefined;
  win: number | undefined;
  urg: number | undefined;
  options: ScriptTcpOption[] | 'any' | undefined;
}

/** A packet the runner can parse but does not implement (icmp, udp, encapsulations). */
export interface OtherPacketSpec {
  proto: 'icmp' | 'udp' | 'encap';
  direction: 'inbound' | 'outbound';
  text: string;
}

export type PacketSpec = TcpPacketSpec | OtherPacketSpec;

/** A syscall argument or expression. */
export type Expr =
  | { kind: 'int'; value: number }
  | { kind: 'symbol'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'ellipsis' }
  | { kind: 'null' }
  | { kind: 'array'; items: Expr[] }
  | { kind: 'or'; items: Expr[] }
  | { kind: 'struct'; fields: StructField[] }
  | { kind: 'call'; name: string; args: Expr[] };

/** `name=value` inside `{...}`; `name(arg)=value` keeps the parenthesised argument. */
export interface StructField {
  name: string;
  arg: Expr | undefined;
  value: Expr;
}

/** A syscall line. */
export interface SyscallSpec {
  name: string;
  args: Expr[];
  /** Expected return value (an int, or a struct/symbol for rare cases). */
  ret: Expr;
  errno: string | undefined;
  note: string | undefined;
  /** End time of a blocking call (`...END`), or undefined = must not block. */
  blockingEnd: { usecs: number; relative: boolean } | undefined;
}

export type EventAction =
  | { kind: 'packet'; packet: PacketSpec }
  | { kind: 'syscall'; call: SyscallSpec }
  | { kind: 'command'; command: string }
  | { kind: 'code'; code: string };

/** One timed event. */
export interface ScriptEvent {
  line: number;
  time: EventTime;
  action: EventAction;
}

/** A parsed `--name[=value]` option line. */
export interface ScriptOption {
  line: number;
  name: string;
  value: string | undefined;
}

/** A whole script. */
export interface Script {
  path: string;
  options: ScriptOption[];
  /** Backquoted command before the first event (applies the default profile). */
  init: { line: number; command: string } | undefined;
  events: ScriptEvent[];
  /** Backquoted command after the last event. */
  cleanup: { line: number; command: string } | undefined;
  /** `// Failure: <regex>` comments: the script is expected to fail with that message (packetdrill's own tests). */
  expectedFailure: string | undefined;
}
