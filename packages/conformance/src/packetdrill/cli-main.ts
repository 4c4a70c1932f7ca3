/**
 * `netlayers-packetdrill [--local_ip=…] [--remote_ip=…] [-D SYM=val] FILE.pkt…`
 * (also `… run FILE.pkt…`): runs each script and prints one line per script,
 * `PASS|FAIL|SKIP <path> <reason>`, the expected and actual packet side by side
 * under a packet FAIL, and a last line `N passed, M failed, K skipped`.
 * Exit status 1 if any script failed (2 on a usage error).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runScriptText, type RunOptions, type RunResult } from './runner.js';

const USAGE = 'usage: netlayers-packetdrill [run] [--local_ip=A.B.C.D] [--remote_ip=A.B.C.D] [-D SYM=val]... FILE.pkt...';

/** One result line (and its diff, indented) as the CLI prints it. */
export function formatResult(r: RunResult): string {
  const head = `${r.status} ${r.path}${r.reason === '' ? '' : ` ${r.reason}`}`;
  if (r.diff === undefined) return head;
  return `${head}\n${r.diff.split('\n').map((l) => `    ${l}`).join('\n')}`;
}

/** The summary line. */
export function formatSummary(results: readonly RunResult[]): string {
  const n = (s: RunResult['status']): number => results.filter((r) => r.status === s).length;
  return `${n('PASS')} passed, ${n('FAIL')} failed, ${n('SKIP')} skipped`;
}

/**
 * Runs the CLI on `argv` (without `node` and the script name), writing lines to `out`.
 * @returns the exit status
 */
export function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        local_ip: { type: 'string' },
        remote_ip: { type: 'string' },
        define: { type: 'string', short: 'D', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    out(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const files = parsed.positionals[0] === 'run' ? parsed.positionals.slice(1) : parsed.positionals;
  if (parsed.values.help === true || files.length === 0) {
    out(USAGE);
    return parsed.values.help === true ? 0 : 2;
  }
  const defines = new Map<string, string>();
  for (const d of parsed.values.define ?? []) {
    const eq = d.indexOf('=');
    if (eq <= 0) {
      out(`bad -D ${d} (expected SYM=val)\n${USAGE}`);
      return 2;
    }
    defines.set(d.slice(0, eq), d.slice(eq + 1));
  }
  const opts: RunOptions = { defines };
  if (parsed.values.local_ip !== undefined) opts.localIp = parsed.values.local_ip;
  if (parsed.values.remote_ip !== undefined) opts.remoteIp = parsed.values.remote_ip;
  const results: RunResult[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      const r: RunResult = { path: f, status: 'FAIL', reason: `cannot read script: ${(e as Error).message}`, line: undefined, diff: undefined, virtualMs: 0, notApplied: [] };
      results.push(r);
      out(formatResult(r));
      continue;
    }
    const r = runScriptText(text, f, opts);
    results.push(r);
    out(formatResult(r));
  }
  out(formatSummary(results));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}
