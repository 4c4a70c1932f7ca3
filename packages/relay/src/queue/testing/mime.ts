/**
 * Test helper: a small RFC 5322 / MIME reader, just enough to take a DSN
 * apart again (header fields, multipart boundaries, delivery-status groups).
 * @module
 */

export interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Splits `text` (CRLF line ends) into unfolded header fields and the body. */
export function parsePart(text: string): Part {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not a header field: ${JSON.stringify(line)}`);
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The value of a Content-Type parameter. */
export function param(contentType: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(contentType);
  return m?.[1];
}

/** Splits a multipart body at `boundary`; throws unless the close delimiter is present. */
export function splitMultipart(body: string, boundary: string): Part[] {
  const delim = `\r\n--${boundary}`;
  const text = `\r\n${body}`;
  const close = text.indexOf(`${delim}--`);
  if (close < 0) throw new Error('no close delimiter');
  const pieces = text.slice(0, close).split(delim);
  pieces.shift(); // preamble
  return pieces.map((p) => parsePart(p.replace(/^[ \t]*\r\n/, '')));
}

/** Splits a message/delivery-status body into field groups (per-message first, then per-recipient). */
export function statusGroups(body: string): Array<Map<string, string>> {
  return body
    .split(/\r\n\r\n/)
    .filter((g) => g.trim() !== '')
    .map((g) => parsePart(`${g}\r\n\r\n`).headers);
}
