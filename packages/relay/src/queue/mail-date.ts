/**
 * RFC 5322 §3.3 date-time in UTC, e.g. `Wed, 02 Dec 2026 12:59:47 +0000`
 * (for `Date:`, `Arrival-Date:` and `Last-Attempt-Date:` in DSNs).
 * @module
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const p2 = (n: number): string => String(n).padStart(2, '0');

/** Formats wall-clock ms since the epoch as an RFC 5322 date-time in `+0000`. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  return (
    `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`
  );
}
