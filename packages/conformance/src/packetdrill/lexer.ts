/**
 * The scanner of the packetdrill language: a cursor over the script text that
 * skips blanks and comments (`//` to end of line, `/* … *\/`), tracks line
 * numbers, applies `-D SYM=val` word substitution, and reads the token classes
 * the grammar needs (numbers, words, strings, backquoted commands, `%{ }%` code).
 * The parser drives it by context, as packetdrill's flex lexer does with its
 * start conditions (flag letters such as `S.` only mean flags after `<`/`>`).
 *
 * @module
 */
import { PacketdrillParseError } from './errors.js';

/** Characters that may appear in a word (identifier / symbol). */
const WORD = /[A-Za-z0-9_]/;

/** Replaces whole words defined with `-D SYM=val` (outside strings). */
export function substituteDefines(text: string, defines: ReadonlyMap<string, string>): string {
  if (defines.size === 0) return text;
  return text.replace(/"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*/g, (w) => (w.startsWith('"') ? w : (defines.get(w) ?? w)));
}

/** A cursor over script text. */
export class Scanner {
  readonly text: string;
  pos = 0;
  line = 1;

  constructor(text: string) {
    this.text = text;
  }

  /** Throws a SYNTAX error at the current line. */
  fail(construct: string, message: string): never {
    throw new PacketdrillParseError('SYNTAX', this.line, construct, message);
  }

  get eof(): boolean {
    return this.pos >= this.text.length;
  }

  /** Character at `pos + k` ('' past the end). */
  peek(k = 0): string {
    return this.text[this.pos + k] ?? '';
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  private advance(n: number): void {
    for (let i = 0; i < n && this.pos < this.text.length; i++) {
      if (this.text[this.pos] === '\n') this.line++;
      this.pos++;
    }
  }

  /** Skips spaces, tabs and comments; with `newlines`, also line breaks. Returns true if a newline was crossed. */
  skip(newlines = true): boolean {
    let crossed = false;
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.advance(1);
      else if (c === '\n') {
        if (!newlines) return crossed;
        crossed = true;
        this.advance(1);
      } else if (this.startsWith('//')) {
        const e = this.text.indexOf('\n', this.pos);
        this.advance((e < 0 ? this.text.length : e) - this.pos);
      } else if (this.startsWith('/*')) {
        const e = this.text.indexOf('*/', this.pos + 2);
        if (e < 0) this.fail('comment', 'unterminated /* comment');
        this.advance(e + 2 - this.pos);
      } else return crossed;
    }
  }

  /** True (and consumes it) if the text at the cursor is `s`. */
  eat(s: string): boolean {
    if (!this.startsWith(s)) return false;
    this.advance(s.length);
    return true;
  }

  /** Consumes `s` or fails. */
  expect(s: string, construct: string): void {
    this.skip(false);
    if (!this.eat(s)) this.fail(construct, `expected '${s}' but found ${this.describe()}`);
  }

  /** The next few characters, for messages. */
  describe(): string {
    if (this.eof) return 'end of script';
    const rest = this.text.slice(this.pos, this.pos + 20).split('\n')[0] ?? '';
    return rest === '' ? 'end of line' : `'${rest}'`;
  }

  /** Reads a word (`[A-Za-z0-9_]+`), or '' if none. */
  word(): string {
    const s = this.pos;
    while (WORD.test(this.peek())) this.advance(1);
    return this.text.slice(s, this.pos);
  }

  /** Peeks the word at the cursor without consuming it. */
  peekWord(): string {
    let e = this.pos;
    while (e < this.text.length && WORD.test(this.text[e]!)) e++;
    return this.text.slice(this.pos, e);
  }

  /** True when a number starts here (digit, or '.' + digit). */
  atNumber(): boolean {
    const c = this.peek();
    return (c >= '0' && c <= '9') || (c === '.' && this.peek(1) >= '0' && this.peek(1) <= '9');
  }

  /**
   * Reads an unsigned number: decimal integer, hex `0x…`, or decimal fraction
   * (`.1`, `0.200`). A '.' is only taken when a digit follows, so `0...1` lexes as
   * `0`, `...`, `1`. Returns the text and the value.
   */
  number(construct: string): { text: string; value: number; fraction: boolean } {
    const s = this.pos;
    if (this.startsWith('0x') || this.startsWith('0X')) {
      this.advance(2);
      while (/[0-9a-fA-F]/.test(this.peek())) this.advance(1);
      const t = this.text.slice(s, this.pos);
      if (t.length === 2) this.fail(construct, 'bad hex number');
      return { text: t, value: Number.parseInt(t.slice(2), 16), fraction: false };
    }
    while (this.peek() >= '0' && this.peek() <= '9') this.advance(1);
    let fraction = false;
    if (this.peek() === '.' && this.peek(1) >= '0' && this.peek(1) <= '9') {
      fraction = true;
      this.advance(1);
      while (this.peek() >= '0' && this.peek() <= '9') this.advance(1);
    }
    const t = this.text.slice(s, this.pos);
    if (t === '') this.fail(construct, `expected a number but found ${this.describe()}`);
    return { text: t, value: Number(t), fraction };
  }

  /** Reads an unsigned integer (decimal or hex). */
  integer(construct: string): number {
    this.skip(false);
    const n = this.number(construct);
    if (n.fraction) this.fail(construct, `expected an integer but found ${n.text}`);
    return n.value;
  }

  /** Reads a double-quoted string with C escapes. */
  string(): string {
    const startLine = this.line;
    this.advance(1);
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n') throw new PacketdrillParseError('SYNTAX', startLine, 'string', 'unterminated string');
      this.advance(1);
      if (c === '"') return out;
      if (c === '\\') {
        const e = this.peek();
        this.advance(1);
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === '0' ? '\0' : e;
      } else out += c;
    }
  }

  /** Reads text up to (not including) `close`, which may span lines; consumes `close`. */
  until(close: string, construct: string): string {
    const startLine = this.line;
    const e = this.text.indexOf(close, this.pos);
    if (e < 0) throw new PacketdrillParseError('SYNTAX', startLine, construct, `unterminated ${construct} (missing '${close}')`);
    const body = this.text.slice(this.pos, e);
    this.advance(e + close.length - this.pos);
    return body;
  }

  /** Reads a balanced parenthesised text after '(' was seen at the cursor; returns the inside. */
  parenText(construct: string): string {
    const startLine = this.line;
    this.advance(1);
    let depth = 1;
    const s = this.pos;
    while (!this.eof) {
      const c = this.peek();
      if (c === '\n') break;
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        const t = this.text.slice(s, this.pos);
        this.advance(1);
        return t;
      }
      this.advance(1);
    }
    throw new PacketdrillParseError('SYNTAX', startLine, construct, `unbalanced '(' in ${construct}`);
  }

  /** The rest of the current line (consumed, newline left). */
  restOfLine(): string {
    const e = this.text.indexOf('\n', this.pos);
    const end = e < 0 ? this.text.length : e;
    const t = this.text.slice(this.pos, end);
    this.advance(end - this.pos);
    return t;
  }
}
