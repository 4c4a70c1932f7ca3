/**
 * `@netlayers/smtp-protocol/testing`: helpers for people who test SMTP code.
 *
 * - fast-check arbitraries (fast-check is an optional peer dependency, needed
 *   only by this entry point): addresses (quoted local parts, SMTPUTF8,
 *   length limits), ESMTP parameters, commands, replies (multi-line, enhanced
 *   codes), message bodies with dot-stuffing edge cases, chunkings of a byte
 *   string, and whole conversations with the replies a conforming server
 *   must give; plus naive whole-buffer reference models of the DATA section.
 * - `runSmtpConformance({ host, port })`: a black-box conformance suite that
 *   judges any SMTP server over raw `node:net` sockets.
 * @module
 */
export * from './arbitraries/index.js';
export * from './conformance/index.js';
