/**
 * The `%{ … }%` blocks of a script: packetdrill runs them in Python after the
 * script, with the `tcpi_*` fields of a TCP_INFO snapshot taken when the block
 * was reached. This evaluates the subset such blocks use for assertions —
 * `assert expr[, message]`, `name = expr`, comments, `print(…)` (ignored) —
 * over integers with `+ - * / // %`, `| ^ & << >>`, comparisons (chained), `and`/`or`/`not`,
 * parentheses, the snapshot fields, `TCP_CA_*` and `TCP_*` state constants.
 * Anything else (imports, calls, other fields) raises
 * {@link PacketdrillUnsupportedError}: the script SKIPs rather than PASS unchecked.
 *
 * @module
 */
import { PacketdrillUnsupportedError } from './errors.js';

const CONSTANTS: Record<string, number> = {
  TCP_CA_Open: 0, TCP_CA_Disorder: 1, TCP_CA_CWR: 2, TCP_CA_Recovery: 3, TCP_CA_Loss: 4,
  TCP_ESTABLISHED: 1, TCP_SYN_SENT: 2, TCP_SYN_RECV: 3, TCP_FIN_WAIT1: 4, TCP_FIN_WAIT2: 5, TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7, TCP_CLOSE_WAIT: 8, TCP_LAST_ACK: 9, TCP_LISTEN: 10, TCP_CLOSING: 11,
  True: 1, False: 0,
};

type Node =
  | { k: 'num'; v: number }
  | { k: 'name'; n: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cmp'; ops: string[]; items: Node[] };

/** One statement of a block. */
export type PyStmt = { kind: 'assert'; expr: Node; text: string; line: number } | { kind: 'assign'; name: string; expr: Node; line: number };

const TOKEN = /\s*(?:(0[xX][0-9a-fA-F]+|\d+\.\d*|\.\d+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\/\/|==|!=|<=|>=|<<|>>|[-+*/%<>()&|^]))/y;

function tokenize(src: string, line: number): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(src);
    if (m === null) throw new PacketdrillUnsupportedError(line, 'python syntax', `'${src.slice(i).trim().slice(0, 20)}'`);
    out.push((m[1] ?? m[2] ?? m[3])!);
    i = TOKEN.lastIndex;
  }
  return out;
}

class ExprParser {
  private i = 0;
  constructor(private readonly t: string[], private readonly line: number) {}
  done(): boolean {
    return this.i >= this.t.length;
  }
  private peek(): string | undefined {
    return this.t[this.i];
  }
  private next(): string {
    const v = this.t[this.i++];
    if (v === undefined) throw new PacketdrillUnsupportedError(this.line, 'python syntax', 'unexpected end of expression');
    return v;
  }
  parse(): Node {
    return this.or();
  }
  private or(): Node {
    let a = this.and();
    while (this.peek() === 'or') { this.i++; a = { k: 'bin', op: 'or', a, b: this.and() }; }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.peek() === 'and') { this.i++; a = { k: 'bin', op: 'and', a, b: this.not() }; }
    return a;
  }
  private not(): Node {
    if (this.peek() === 'not') { this.i++; return { k: 'un', op: 'not', a: this.not() }; }
    return this.cmp();
  }
  private cmp(): Node {
    const items = [this.bits(0)];
    const ops: string[] = [];
    while (['==', '!=', '<', '<=', '>', '>='].includes(this.peek() ?? '')) {
      ops.push(this.next());
      items.push(this.bits(0));
    }
    return ops.length === 0 ? items[0]! : { k: 'cmp', ops, items };
  }
  /** Python's bitwise levels, loosest first: `|`, `^`, `&`, shifts. */
  private bits(level: number): Node {
    const LEVELS = [['|'], ['^'], ['&'], ['<<', '>>']];
    if (level === LEVELS.length) return this.sum();
    let a = this.bits(level + 1);
    while (LEVELS[level]!.includes(this.peek() ?? '')) { const op = this.next(); a = { k: 'bin', op, a, b: this.bits(level + 1) }; }
    return a;
  }
  private sum(): Node {
    let a = this.prod();
    while (this.peek() === '+' || this.peek() === '-') { const op = this.next(); a = { k: 'bin', op, a, b: this.prod() }; }
    return a;
  }
  private prod(): Node {
    let a = this.unary();
    while (['*', '/', '//', '%'].includes(this.peek() ?? '')) { const op = this.next(); a = { k: 'bin', op, a, b: this.unary() }; }
    return a;
  }
  private unary(): Node {
    if (this.peek() === '-' || this.peek() === '+') { const op = this.next(); return { k: 'un', op, a: this.unary() }; }
    return this.atom();
  }
  private atom(): Node {
    const t = this.next();
    if (t === '(') {
      const e = this.or();
      if (this.next() !== ')') throw new PacketdrillUnsupportedError(this.line, 'python syntax', "missing ')'");
      return e;
    }
    if (/^[\d.]/.test(t)) return { k: 'num', v: Number(t) }; // Number() reads 0x… too
    if (/^[A-Za-z_]/.test(t)) {
      if (this.peek() === '(') throw new PacketdrillUnsupportedError(this.line, `python call ${t}()`);
      return { k: 'name', n: t };
    }
    throw new PacketdrillUnsupportedError(this.line, 'python syntax', `unexpected '${t}'`);
  }
}

/** Splits `a, b` at the first top-level comma. */
function splitComma(s: string): [string, string | undefined] {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== '') { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) return [s.slice(0, i), s.slice(i + 1)];
  }
  return [s, undefined];
}

function expr(src: string, line: number): Node {
  const p = new ExprParser(tokenize(src, line), line);
  const e = p.parse();
  if (!p.done()) throw new PacketdrillUnsupportedError(line, 'python syntax', `trailing tokens in '${src.trim()}'`);
  return e;
}

/**
 * Parses a block. `line` is the script line of the block's first line.
 * @throws PacketdrillUnsupportedError for statements outside the subset
 */
export function parsePython(code: string, line: number): PyStmt[] {
  const out: PyStmt[] = [];
  code.split('\n').forEach((raw, idx) => {
    const ln = line + idx;
    const s = raw.replace(/#.*$/, '').trim();
    if (s === '' || /^print\s*\(/.test(s)) return;
    const a = /^assert\s+(.*)$/.exec(s);
    if (a !== null) {
      const [cond] = splitComma(a[1]!);
      out.push({ kind: 'assert', expr: expr(cond, ln), text: cond.trim(), line: ln });
      return;
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.*)$/.exec(s);
    if (m !== null) {
      out.push({ kind: 'assign', name: m[1]!, expr: expr(m[2]!, ln), line: ln });
      return;
    }
    throw new PacketdrillUnsupportedError(ln, 'python statement', `'${s.slice(0, 40)}'`);
  });
  return out;
}

function evalNode(n: Node, env: ReadonlyMap<string, number>, line: number): number {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'name': {
      const v = env.get(n.n) ?? CONSTANTS[n.n];
      if (v === undefined) {
        throw new PacketdrillUnsupportedError(line, n.n.startsWith('tcpi_') ? `tcp_info field ${n.n}` : `python name ${n.n}`, n.n.startsWith('tcpi_') ? 'not kept by @netlayers/tcp' : undefined);
      }
      return v;
    }
    case 'un': {
      const a = evalNode(n.a, env, line);
      return n.op === 'not' ? (a === 0 ? 1 : 0) : n.op === '-' ? -a : a;
    }
    case 'bin': {
      const a = evalNode(n.a, env, line);
      if (n.op === 'and') return a === 0 ? a : evalNode(n.b, env, line);
      if (n.op === 'or') return a !== 0 ? a : evalNode(n.b, env, line);
      const b = evalNode(n.b, env, line);
      if (['|', '^', '&', '<<', '>>'].includes(n.op) && !(Number.isSafeInteger(a) && Number.isSafeInteger(b) && b >= 0)) {
        throw new PacketdrillUnsupportedError(line, `python ${n.op} on ${a} and ${b}`, 'integers only');
      }
      switch (n.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
        case '//': return Math.floor(a / b);
        case '|': return Number(BigInt(a) | BigInt(b));
        case '^': return Number(BigInt(a) ^ BigInt(b));
        case '&': return Number(BigInt(a) & BigInt(b));
        case '<<': return Number(BigInt(a) << BigInt(b));
        case '>>': return Number(BigInt(a) >> BigInt(b));
        default: return a - b * Math.floor(a / b);
      }
    }
    case 'cmp': {
      let left = evalNode(n.items[0]!, env, line);
      for (let i = 0; i < n.ops.length; i++) {
        const right = evalNode(n.items[i + 1]!, env, line);
        const op = n.ops[i];
        const ok = op === '==' ? left === right : op === '!=' ? left !== right : op === '<' ? left < right : op === '<=' ? left <= right : op === '>' ? left > right : left >= right;
        if (!ok) return 0;
        left = right;
      }
      return 1;
    }
  }
}

/** A failed assertion. */
export interface PyFailure {
  line: number;
  message: string;
}

/**
 * Runs the statements with the snapshot's fields as variables.
 * @returns the first failed assertion, or undefined when all hold
 * @throws PacketdrillUnsupportedError when a name (e.g. a tcp_info field we do not keep) is unknown
 */
export function runPython(stmts: readonly PyStmt[], snapshot: Readonly<Record<string, number>>): PyFailure | undefined {
  const env = new Map<string, number>(Object.entries(snapshot));
  for (const s of stmts) {
    const v = evalNode(s.expr, env, s.line);
    if (s.kind === 'assign') env.set(s.name, v);
    else if (v === 0) {
      const names = [...new Set(s.text.match(/tcpi_[a-z_0-9]+/g) ?? [])];
      return { line: s.line, message: `python assertion failed: ${s.text} (${names.map((n) => `${n}=${env.get(n)}`).join(', ')})` };
    }
  }
  return undefined;
}
