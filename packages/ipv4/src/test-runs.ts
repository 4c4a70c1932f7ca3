/**
 * Internal test helper: fast-check run counts, multiplied by 10 when
 * `NETLAYERS_SLOW=1` (the long soak variant; CI runs the default counts).
 * @internal
 */
export function runs(n: number): number {
  return process.env['NETLAYERS_SLOW'] === '1' ? n * 10 : n;
}
