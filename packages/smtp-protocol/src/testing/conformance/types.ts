/**
 * Public types of the SMTP conformance suite ({@link runSmtpConformance}).
 */

/** Outcome of one checklist item. `n/a`: the server does not offer what the item is about. */
export type ConformanceStatus = 'pass' | 'fail' | 'skip' | 'n/a';

/** One checklist item of the report. */
export interface ConformanceItem {
  /** Stable identifier, e.g. `"unknown-command-500"`. */
  readonly id: string;
  /** Where the rule comes from, e.g. `"RFC 5321 §4.1.4"`. */
  readonly section: string;
  /** What is checked, in one line. */
  readonly title: string;
  readonly status: ConformanceStatus;
  /** What was sent and received (for failures: exact bytes and replies). */
  readonly detail: string;
}

/** The suite's result. */
export interface ConformanceReport {
  /** `host:port` that was tested. */
  readonly target: string;
  readonly items: readonly ConformanceItem[];
  readonly passed: number;
  readonly failed: number;
  /** Items skipped (no `inspect`, inconclusive) or not applicable. */
  readonly skipped: number;
}

/**
 * A message as the server under test stored or delivered it, returned by
 * {@link SmtpConformanceOptions.inspect}.
 */
export interface InspectedMessage {
  /** The message content after the server removed transparency dots (raw octets). */
  readonly content: Uint8Array;
  /** Reverse-path mailbox as the server recorded it (no angle brackets). */
  readonly mailFrom?: string;
  /** Forward-path mailboxes as the server recorded them. */
  readonly rcptTo?: readonly string[];
}

/**
 * Looks up the message whose content contains `token` (the suite writes it
 * in an `X-Conformance-Token:` header). Return `undefined` while it is not
 * there; the suite polls for a short while. Line endings may be CRLF or LF:
 * the suite compares lines, not terminators, so inspectors that store text
 * files (Postfix `smtp-sink -D`) work too.
 */
export type SmtpInspect = (token: string) => InspectedMessage | undefined | Promise<InspectedMessage | undefined>;

/** Options of {@link runSmtpConformance}. */
export interface SmtpConformanceOptions {
  /** Server address (IPv4/IPv6 literal or name). */
  readonly host: string;
  /** Server port. */
  readonly port: number;
  /** Bound on each scenario, connections included (default 10 000 ms). */
  readonly timeoutMs?: number;
  /**
   * Bound on the whole run: once it has passed, the remaining items are
   * reported as `skip` without being played (default: no bound beyond the
   * per-scenario ones).
   */
  readonly totalTimeoutMs?: number;
  /** Bound on each single reply wait (default 3 000 ms, at most `timeoutMs`). */
  readonly replyTimeoutMs?: number;
  /**
   * How long to wait to conclude that the server sent nothing more (extra
   * replies, early replies). Default 150 ms; raise it for slow servers.
   */
  readonly quietMs?: number;
  /** EHLO/HELO argument (default `conformance.invalid`). */
  readonly heloName?: string;
  /** Reverse-path mailbox the server accepts (default `sender@example.com`). */
  readonly mailFrom?: string;
  /** The i-th recipient the server accepts (default `rcpt<i>@example.com`). */
  readonly recipient?: (i: number) => string;
  /** Optional lookup of received messages, enabling the items marked "(inspect)". */
  readonly inspect?: SmtpInspect;
  /** How long to poll `inspect` for a message (default 2 000 ms). */
  readonly inspectTimeoutMs?: number;
  /** Upper bound on RCPTs sent to find the recipient limit (default 1 100). */
  readonly maxRecipientsProbe?: number;
  /** Largest SIZE limit the suite will actually send a message over (default 4 MiB). */
  readonly maxSizeProbe?: number;
  /** Run only these item ids. */
  readonly only?: readonly string[];
  /** Leave out these item ids (reported as `skip`). */
  readonly exclude?: readonly string[];
  /** Called after each item (progress reporting). */
  readonly onItem?: (item: ConformanceItem) => void;
}
