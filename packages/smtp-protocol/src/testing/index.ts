/**
 * `@netlayers/smtp-protocol/testing`: helpers for people who test SMTP code.
 *
 * - fast-check arbitraries (fast-check is an optional peer dependency, needed
 *   by this entry point): addresses (quoted local parts, SMTPUTF8, the
 *   64/255/256-octet limits as edge cases, invalid paths), ESMTP parameters,
 *   commands and invalid command lines, replies (multi-line, enhanced codes,
 *   bare codes), message bodies with dot-stuffing edge cases and smuggling
 *   sequences, chunkings of a byte string (views, no copies), and whole
 *   conversations with the reply codes a conforming server must give;
 *   bridges to the codec types (`toSmtpCommand`, `smtpCommandArb`,
 *   `smtpReplyArb`).
 * - Naive whole-buffer reference models of the DATA section
 *   (`referenceDotStuff`, `referenceFindDataEnd`, `referenceUnstuff`) to
 *   compare streaming implementations with.
 * - `runSmtpConformance({ host, port })`: a bounded black-box conformance
 *   suite that judges any SMTP server over raw `node:net` sockets, and
 *   `formatConformanceTable` to compare servers side by side.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { chunkedArb, conversationArb, conversationBytes } from '@netlayers/smtp-protocol/testing';
 *
 * // Whatever the TCP segmentation, a server gives one allowed reply per step.
 * fc.assert(fc.asyncProperty(conversationArb().chain((conv) =>
 *   chunkedArb(fc.constant(conversationBytes(conv))).map((c) => ({ conv, chunks: c.chunks }))),
 *   async ({ conv, chunks }) => {
 *     const replies = await feedMyServer(chunks);            // your harness
 *     conv.steps.forEach((step, i) => expect(step.expect).toContain(replies[i + 1].code));
 *   }));
 *
 * // Judge any running server.
 * import { runSmtpConformance } from '@netlayers/smtp-protocol/testing';
 * const report = await runSmtpConformance({ host: '127.0.0.1', port: 2525 });
 * console.log(report.passed, report.failed, report.skipped);
 * ```
 * @module
 */
export * from './arbitraries/index.js';
export * from './conformance/index.js';
