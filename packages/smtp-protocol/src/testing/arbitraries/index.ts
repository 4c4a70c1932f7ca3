/**
 * fast-check arbitraries for SMTP: addresses, ESMTP parameters, commands,
 * replies, message bodies, chunkings and whole conversations.
 * @module
 */
export * from './chars-public.js';
export * from './address.js';
export * from './params.js';
export * from './command.js';
export * from './reply.js';
export * from './body.js';
export * from './chunking.js';
export * from './conversation.js';
export * from './codec.js';
