/**
 * The packetdrill parser: script text → typed {@link Script} (see `ast.ts`).
 *
 * ```
 * script  = { option-line } [ `init` ] { event } [ `cleanup` ]
 * event   = time ( packet | syscall | `command` | %{ code }% )
 * time    = '*' | ['+'|'-'] secs [ '~' ['+'] secs ] [ '...' ['+'] secs ]
 * packet  = ('<'|'>') [ '(' ip-info ')' | '[' ip-info ']' ] [ port '>' port ]
 *           FLAGS start ':' end '(' len ')' [ 'ack' n ] [ 'win' n ] [ 'urg' n ] [ '<' options '>' ]
 * syscall = name '(' [ expr { ',' expr } ] ')' '=' expr [ ERRNO ] [ '(' note ')' ]
 * expr    = int | SYMBOL | "string" | '...' | NULL | '[' exprs ']' | '{' fields '}'
 *           | name '(' exprs ')' | expr '|' expr
 * ```
 *
 * Errors are {@link PacketdrillParseError}s with the line: `SYNTAX` for text
 * this grammar does not accept, `UNSUPPORTED` for packetdrill constructs the
 * runner cannot model (named in `construct`), `INVALID` for broken rules.
 *
 * @module
 */
import type {
  EventAction,
  EventTime,
  Expr,
  IpInfo,
  PacketSpec,
  Script,
  ScriptEvent,
  ScriptOption,
  ScriptTcpOption,
  StructField,
  SyscallSpec,
  TcpPacketSpec,
} from './ast.js';
import { PacketdrillParseError } from './errors.js';
import { Scanner, substituteDefines } from './lexer.js';

/** Flag letters of a packet line (`.` = ACK) plus `-` (none) and AccECN ACE digits. */
const FLAG_CHARS = /[.FSRPEWAU\-0-7]/;
const ENCAP_WORDS = new Set(['icmp', 'udp', 'ipv4', 'ipv6', 'gre', 'mpls', 'encap', 'psp', 'udplite']);
const ECN_WORDS = new Set(['ect0', 'ect1', 'ce', 'noecn', 'ect01']);

/** An integer field of a packet that must fit its wire width. */
function bounded(sc: Scanner, construct: string, max: number): number {
  const line = sc.line;
  const v = sc.integer(construct);
  if (v > max) throw new PacketdrillParseError('INVALID', line, construct, `${construct} value ${v} does not fit (max ${max})`);
  return v;
}

function secsToUsecs(v: number): number {
  return Math.round(v * 1_000_000);
}

function atLineEnd(sc: Scanner): boolean {
  sc.skip(false);
  return sc.eof || sc.peek() === '\n';
}

function endOfEvent(sc: Scanner, construct: string): void {
  if (sc.peek() === ';') sc.eat(';');
  if (!atLineEnd(sc)) sc.fail(construct, `unexpected ${sc.describe()} after ${construct}`);
}

/** Parses `--name[=value]` / `-D SYM=val` option lines at the cursor. */
function parseOptionLines(sc: Scanner, options: ScriptOption[], defines: Map<string, string>): void {
  for (;;) {
    sc.skip();
    if (sc.startsWith('-D')) {
      const line = sc.line;
      sc.eat('-D');
      sc.skip(false);
      const def = sc.restOfLine().trim();
      addDefine(def, line, defines);
      options.push({ line, name: 'define', value: def });
      continue;
    }
    if (!sc.startsWith('--')) return;
    const line = sc.line;
    const text = sc.restOfLine().replace(/\/\/.*$/, '').trim();
    for (const item of text.split(/\s+/)) {
      if (item === '') continue;
      if (!item.startsWith('--')) throw new PacketdrillParseError('SYNTAX', line, 'option', `bad option '${item}'`);
      const eq = item.indexOf('=');
      const name = eq < 0 ? item.slice(2) : item.slice(2, eq);
      const value = eq < 0 ? undefined : item.slice(eq + 1);
      if (name === 'define') addDefine(value ?? '', line, defines);
      options.push({ line, name, value });
    }
  }
}

function addDefine(def: string, line: number, defines: Map<string, string>): void {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(def);
  if (m === null) throw new PacketdrillParseError('SYNTAX', line, 'define', `bad -D definition '${def}'`);
  defines.set(m[1]!, m[2]!);
}

function parseSignedSecs(sc: Scanner, construct: string): { usecs: number; relative: boolean } {
  sc.skip(false);
  let sign = 1;
  let relative = false;
  if (sc.eat('+')) relative = true;
  else if (sc.eat('-')) {
    relative = true;
    sign = -1;
  }
  const n = sc.number(construct);
  return { usecs: sign * secsToUsecs(n.value), relative };
}

function parseTime(sc: Scanner): { time: EventTime; blockingEnd: { usecs: number; relative: boolean } | undefined } {
  let time: EventTime;
  if (sc.eat('*')) time = { kind: 'any' };
  else {
    const a = parseSignedSecs(sc, 'time');
    if (sc.peek() === '~') {
      sc.eat('~');
      const b = parseSignedSecs(sc, 'time range');
      time = { kind: 'range', start: a.usecs, end: b.usecs, relative: a.relative };
    } else time = a.relative ? { kind: 'relative', usecs: a.usecs } : { kind: 'absolute', usecs: a.usecs };
  }
  let blockingEnd: { usecs: number; relative: boolean } | undefined;
  sc.skip(false);
  if (sc.startsWith('...')) {
    sc.eat('...');
    blockingEnd = parseSignedSecs(sc, 'blocking end time');
  }
  return { time, blockingEnd };
}

function parseIpInfo(sc: Scanner, close: string): IpInfo {
  const info: IpInfo = {};
  for (;;) {
    sc.skip(false);
    if (sc.eat(close)) return info;
    if (sc.eat(',')) continue;
    const w = sc.word();
    if (ECN_WORDS.has(w)) info.ecn = w as NonNullable<IpInfo['ecn']>;
    else if (w === 'tos') info.tos = sc.integer('tos');
    else if (w === 'ttl') info.ttl = sc.integer('ttl');
    else if (w === 'flowlabel') info.flowlabel = sc.integer('flowlabel');
    else if (w === '') sc.fail('ip info', `unexpected ${sc.describe()} in ip info`);
    else throw new PacketdrillParseError('UNSUPPORTED', sc.line, `ip info '${w}'`, `ip info '${w}' is not supported`);
  }
}

function parseSackBlocks(sc: Scanner): [number, number][] {
  const blocks: [number, number][] = [];
  for (;;) {
    sc.skip(false);
    if (!sc.atNumber()) return blocks;
    const l = bounded(sc, 'sack block', 0xffffffff);
    sc.expect(':', 'sack block');
    const r = bounded(sc, 'sack block', 0xffffffff);
    blocks.push([l, r]);
  }
}

function optionalWordArg(sc: Scanner): string | undefined {
  sc.skip(false);
  if (sc.peek() === ',' || sc.peek() === '>') return undefined;
  const w = sc.word();
  return w === '' ? undefined : w;
}

/** Parses the inside of `< … >` after the '<'. */
export function parseTcpOptions(sc: Scanner): ScriptTcpOption[] | 'any' {
  sc.skip(false);
  if (sc.startsWith('...')) {
    sc.eat('...');
    sc.expect('>', 'options');
    return 'any';
  }
  const out: ScriptTcpOption[] = [];
  for (;;) {
    sc.skip(false);
    if (sc.eat('>')) return out;
    if (out.length > 0) {
      if (!sc.eat(',')) sc.fail('options', `expected ',' or '>' in options but found ${sc.describe()}`);
      sc.skip(false);
    }
    const line = sc.line;
    const w = sc.word();
    switch (w) {
      case 'nop':
      case 'eol':
        out.push({ kind: w });
        break;
      case 'mss':
        out.push({ kind: 'mss', value: bounded(sc, 'mss', 0xffff) });
        break;
      case 'wscale':
        out.push({ kind: 'wscale', value: bounded(sc, 'wscale', 0xff) });
        break;
      case 'sackOK':
        out.push({ kind: 'sackOK' });
        break;
      case 'sack':
        out.push({ kind: 'sack', blocks: parseSackBlocks(sc) });
        break;
      case 'TS': {
        sc.skip(false);
        if (sc.word() !== 'val') sc.fail('TS option', "expected 'val' after TS");
        const val = bounded(sc, 'TS val', 0xffffffff);
        sc.skip(false);
        if (sc.word() !== 'ecr') sc.fail('TS option', "expected 'ecr' after TS val");
        out.push({ kind: 'TS', val, ecr: bounded(sc, 'TS ecr', 0xffffffff) });
        break;
      }
      case 'md5':
        sc.skip(false);
        out.push({ kind: 'md5', hex: sc.word() });
        break;
      case 'FO':
      case 'FOEXP':
        out.push({ kind: 'FO', cookie: optionalWordArg(sc), exp: w === 'FOEXP' });
        break;
      case 'ECN':
      case 'e0b':
      case 'e1b':
      case 'ceb': {
        const values: number[] = [];
        for (;;) {
          sc.skip(false);
          if (sc.atNumber()) values.push(sc.integer('ECN option'));
          else if (/[a-z]/.test(sc.peek())) sc.word();
          else break;
        }
        out.push({ kind: 'ecn', name: w, values });
        break;
      }
      case '':
        throw new PacketdrillParseError('SYNTAX', line, 'options', `unexpected ${sc.describe()} in TCP options`);
      default:
        throw new PacketdrillParseError('UNSUPPORTED', line, `TCP option '${w}'`, `TCP option '${w}' is not supported`);
    }
  }
}

/** Parses a packet after its direction character. */
function parsePacketBody(sc: Scanner, direction: 'inbound' | 'outbound'): PacketSpec {
  sc.skip(false);
  const first = sc.peekWord();
  if (ENCAP_WORDS.has(first)) {
    const text = `${first}${sc.restOfLine().slice(first.length)}`.trim();
    return { proto: first === 'icmp' ? 'icmp' : first === 'udp' ? 'udp' : 'encap', direction, text };
  }
  let ip: IpInfo = {};
  if (sc.eat('(')) ip = parseIpInfo(sc, ')');
  else if (sc.eat('[')) ip = parseIpInfo(sc, ']');
  sc.skip(false);
  let ports: TcpPacketSpec['ports'];
  const rest = sc.text.slice(sc.pos, sc.pos + 16);
  if (/^\d+>\d+/.test(rest)) {
    const src = sc.integer('ports');
    sc.expect('>', 'ports');
    ports = { src, dst: sc.integer('ports') };
    sc.skip(false);
  }
  let flags = '';
  while (FLAG_CHARS.test(sc.peek()) && sc.peek() !== '') {
    flags += sc.peek();
    sc.eat(sc.peek());
  }
  if (flags === '') sc.fail('packet', `expected TCP flags but found ${sc.describe()}`);
  let ace: number | undefined;
  const digits = flags.replace(/[^0-7]/g, '');
  if (digits !== '') {
    ace = Number(digits[0]);
    flags = flags.replace(/[0-7]/g, '');
  }
  if (flags === '-') flags = '';
  const line = sc.line;
  const start = bounded(sc, 'sequence range', 0xffffffff);
  sc.expect(':', 'sequence range');
  const end = bounded(sc, 'sequence range', 0xffffffff);
  sc.expect('(', 'sequence range');
  const len = bounded(sc, 'sequence range', 0xffff);
  sc.expect(')', 'sequence range');
  if (((end - start) >>> 0) !== len) {
    throw new PacketdrillParseError('INVALID', line, 'sequence range', `inconsistent segment: ${start}:${end}(${len}) — end must be start + len`);
  }
  const pkt: TcpPacketSpec = { proto: 'tcp', direction, ip, ports, flags, ace, start, end, len, ack: undefined, win: undefined, urg: undefined, options: undefined };
  for (;;) {
    if (atLineEnd(sc)) break;
    if (sc.peek() === ';') break;
    if (sc.eat('<')) {
      pkt.options = parseTcpOptions(sc);
      continue;
    }
    const w = sc.word();
    if (w === 'ack') pkt.ack = bounded(sc, 'ack', 0xffffffff);
    else if (w === 'win') pkt.win = bounded(sc, 'win', 0xffff);
    else if (w === 'urg') pkt.urg = bounded(sc, 'urg', 0xffff);
    else if (w === '') sc.fail('packet', `unexpected ${sc.describe()} in packet`);
    else throw new PacketdrillParseError('UNSUPPORTED', sc.line, `packet attribute '${w}'`, `packet attribute '${w}' is not supported`);
  }
  if (direction === 'inbound' && pkt.win === undefined) {
    throw new PacketdrillParseError('INVALID', line, 'packet', 'an inbound packet must give its window (win N)');
  }
  if (direction === 'inbound' && pkt.options === 'any') {
    throw new PacketdrillParseError('INVALID', line, 'packet', '<...> is only allowed on outbound packets');
  }
  return pkt;
}

/** Parses one expression (syscall argument / return value / struct value). */
export function parseExpr(sc: Scanner): Expr {
  const first = parseAtom(sc);
  sc.skip(false);
  if (sc.peek() !== '|') return first;
  const items = [first];
  while (sc.eat('|')) items.push(parseAtom(sc));
  return { kind: 'or', items };
}

function parseList(sc: Scanner, close: string, construct: string): Expr[] {
  const items: Expr[] = [];
  for (;;) {
    sc.skip();
    if (sc.eat(close)) return items;
    if (items.length > 0) {
      if (!sc.eat(',')) sc.fail(construct, `expected ',' or '${close}' in ${construct} but found ${sc.describe()}`);
      sc.skip();
    }
    items.push(parseExpr(sc));
  }
}

function parseStruct(sc: Scanner): Expr {
  const fields: StructField[] = [];
  for (;;) {
    sc.skip();
    if (sc.eat('}')) return { kind: 'struct', fields };
    if (fields.length > 0) {
      if (!sc.eat(',')) sc.fail('struct', `expected ',' or '}' in struct but found ${sc.describe()}`);
      sc.skip();
    }
    const save = { pos: sc.pos, line: sc.line };
    const name = sc.word();
    sc.skip(false);
    if (name !== '' && /^[A-Za-z_]/.test(name) && (sc.peek() === '=' || sc.peek() === '(')) {
      let arg: Expr | undefined;
      if (sc.peek() === '(') {
        sc.eat('(');
        const args = parseList(sc, ')', 'struct field');
        arg = args.length === 1 ? args[0] : { kind: 'array', items: args };
        sc.skip(false);
        if (sc.peek() !== '=') {
          // not `name(arg)=value` but a call used as a value: `{htons(80)}`
          fields.push({ name: '', arg: undefined, value: { kind: 'call', name, args } });
          continue;
        }
      }
      sc.expect('=', 'struct field');
      sc.skip();
      fields.push({ name, arg, value: parseExpr(sc) });
    } else {
      sc.pos = save.pos;
      sc.line = save.line;
      fields.push({ name: '', arg: undefined, value: parseExpr(sc) });
    }
  }
}

function parseAtom(sc: Scanner): Expr {
  sc.skip();
  if (sc.startsWith('...')) {
    sc.eat('...');
    return { kind: 'ellipsis' };
  }
  const c = sc.peek();
  if (c === '"') return { kind: 'string', value: sc.string() };
  if (c === '[') {
    sc.eat('[');
    return { kind: 'array', items: parseList(sc, ']', 'array') };
  }
  if (c === '{') {
    sc.eat('{');
    return parseStruct(sc);
  }
  if (c === '-' && (sc.peek(1) >= '0' && sc.peek(1) <= '9')) {
    sc.eat('-');
    return { kind: 'int', value: -sc.number('integer').value };
  }
  if (sc.atNumber()) return { kind: 'int', value: sc.number('integer').value };
  const w = sc.word();
  if (w === '') sc.fail('expression', `unexpected ${sc.describe()} in expression`);
  if (w === 'NULL') return { kind: 'null' };
  sc.skip(false);
  if (sc.peek() === '(') {
    sc.eat('(');
    return { kind: 'call', name: w, args: parseList(sc, ')', `${w}()`) };
  }
  return { kind: 'symbol', name: w };
}

function parseSyscall(sc: Scanner, blockingEnd: SyscallSpec['blockingEnd']): SyscallSpec {
  const name = sc.word();
  sc.expect('(', `${name}()`);
  const args = parseList(sc, ')', `${name}()`);
  sc.expect('=', `${name}() return value`);
  sc.skip(false);
  const ret = parseExpr(sc);
  let errno: string | undefined;
  let note: string | undefined;
  sc.skip(false);
  const w = sc.peekWord();
  if (/^E[A-Z0-9]+$/.test(w)) {
    errno = sc.word();
    sc.skip(false);
  }
  if (sc.peek() === '(') note = sc.parenText('note');
  return { name, args, ret, errno, note, blockingEnd };
}

function parseAction(sc: Scanner, blockingEnd: SyscallSpec['blockingEnd']): EventAction {
  sc.skip(false);
  const c = sc.peek();
  if (c === '<' || c === '>') {
    sc.eat(c);
    return { kind: 'packet', packet: parsePacketBody(sc, c === '<' ? 'inbound' : 'outbound') };
  }
  if (c === '`') {
    sc.eat('`');
    return { kind: 'command', command: sc.until('`', 'command').trim() };
  }
  if (sc.startsWith('%{')) {
    sc.eat('%{');
    return { kind: 'code', code: sc.until('}%', 'code block') };
  }
  const w = sc.peekWord();
  if (/^[A-Za-z_]/.test(w)) return { kind: 'syscall', call: parseSyscall(sc, blockingEnd) };
  return sc.fail('event', `expected a packet, syscall, command or code block but found ${sc.describe()}`);
}

/**
 * Parses a whole script.
 * @param text script text
 * @param path file name, kept in the result for messages
 * @param extraDefines `-D` definitions given on the command line
 * @throws PacketdrillParseError
 */
export function parseScript(text: string, path = '<script>', extraDefines: ReadonlyMap<string, string> = new Map()): Script {
  const head = new Scanner(text);
  const options: ScriptOption[] = [];
  const defines = new Map(extraDefines);
  parseOptionLines(head, options, defines);
  const sc = new Scanner(substituteDefines(text.slice(head.pos), defines));
  sc.line = head.line;
  const fail = /^\s*\/\/\s*Failure:\s*(.+?)\s*$/m.exec(text);
  const script: Script = { path, options, init: undefined, events: [], cleanup: undefined, expectedFailure: fail?.[1] };
  let trailing: { line: number; command: string } | undefined;
  for (;;) {
    sc.skip();
    if (sc.eof) break;
    const line = sc.line;
    if (trailing !== undefined) {
      // an untimed command followed by more events: an event at +0
      script.events.push({ line: trailing.line, time: { kind: 'relative', usecs: 0 }, action: { kind: 'command', command: trailing.command } });
      trailing = undefined;
    }
    if (sc.peek() === '`') {
      sc.eat('`');
      const command = sc.until('`', 'command').trim();
      endOfEvent(sc, 'command');
      if (script.events.length === 0 && script.init === undefined) script.init = { line, command };
      else trailing = { line, command };
      continue;
    }
    let time: EventTime = { kind: 'relative', usecs: 0 };
    let blockingEnd: SyscallSpec['blockingEnd'];
    if (!sc.startsWith('%{')) ({ time, blockingEnd } = parseTime(sc));
    const action = parseAction(sc, blockingEnd);
    if (blockingEnd !== undefined && action.kind !== 'syscall') {
      throw new PacketdrillParseError('INVALID', line, 'blocking time', '"..." end times are only allowed on system calls');
    }
    if ((time.kind === 'any' || time.kind === 'range') && !(action.kind === 'packet' && action.packet.direction === 'outbound')) {
      throw new PacketdrillParseError('INVALID', line, 'time', `${time.kind === 'any' ? "'*'" : 'a time range'} is only allowed on outbound packets`);
    }
    const ev: ScriptEvent = { line, time, action };
    script.events.push(ev);
    endOfEvent(sc, action.kind);
  }
  script.cleanup = trailing;
  const first = script.events[0];
  if (first !== undefined && !((first.time.kind === 'absolute' || first.time.kind === 'relative') && first.time.usecs === 0)) {
    throw new PacketdrillParseError('INVALID', first.line, 'time', 'the first event must be at time 0');
  }
  return script;
}

/** Parses a single packet line such as `< S 0:0(0) win 100 <mss 1460>` (for tests and tools). */
export function parsePacketLine(text: string): PacketSpec {
  const sc = new Scanner(text);
  sc.skip();
  const c = sc.peek();
  if (c !== '<' && c !== '>') sc.fail('packet', "a packet starts with '<' or '>'");
  sc.eat(c);
  const p = parsePacketBody(sc, c === '<' ? 'inbound' : 'outbound');
  if (!atLineEnd(sc)) sc.fail('packet', `unexpected ${sc.describe()}`);
  return p;
}
