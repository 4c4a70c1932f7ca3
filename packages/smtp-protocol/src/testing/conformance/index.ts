/**
 * The black-box SMTP conformance suite.
 * @module
 */
export { runSmtpConformance, formatConformanceTable, SMTP_CONFORMANCE_ITEMS } from './run.js';
export type {
  ConformanceItem,
  ConformanceReport,
  ConformanceStatus,
  InspectedMessage,
  SmtpConformanceOptions,
  SmtpInspect,
} from './types.js';
