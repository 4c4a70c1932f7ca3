/**
 * Arbitraries for ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2):
 *
 * ```
 * esmtp-param   = esmtp-keyword ["=" esmtp-value]
 * esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 * esmtp-value   = 1*(%d33-60 / %d62-126)      ; RFC 6531 adds UTF8-non-ascii
 * ```
 *
 * Known parameters: SIZE (RFC 1870), BODY (RFC 6152 / RFC 3030), SMTPUTF8
 * (RFC 6531, no value), RET / ENVID / NOTIFY / ORCPT (RFC 3461, xtext
 * values), AUTH (RFC 4954). Keywords are case-insensitive (RFC 5321 §2.4),
 * so the generators vary their case.
 */
import fc from 'fast-check';
import { ALPHA, DIGIT, ESMTP_VALUE, XCHAR, stringOf, unitOf } from './chars.js';

/** One ESMTP parameter; `value` is absent for keyword-only parameters. */
export interface EsmtpParam {
  readonly keyword: string;
  readonly value?: string;
}

/** Serialize `KEYWORD[=value]`. */
export function formatParam(p: EsmtpParam): string {
  return p.value === undefined ? p.keyword : `${p.keyword}=${p.value}`;
}

/** Serialize a parameter list with its leading space (empty string for none). */
export function formatParams(params: readonly EsmtpParam[]): string {
  return params.map((p) => ` ${formatParam(p)}`).join('');
}

/** Randomize the case of an ASCII keyword (RFC 5321 §2.4: case-insensitive). */
export function mixedCaseArb(word: string): fc.Arbitrary<string> {
  return fc.mixedCase(fc.constant(word));
}

/** `xtext` (RFC 3461 §4): xchar or "+" 2HEXUPPER. */
export function xtextArb(maxLength = 20): fc.Arbitrary<string> {
  const hex = fc.integer({ min: 0, max: 255 }).map((n) => `+${n.toString(16).toUpperCase().padStart(2, '0')}`);
  return fc
    .array(fc.oneof({ weight: 5, arbitrary: unitOf(XCHAR) }, { weight: 1, arbitrary: hex }), { minLength: 1, maxLength })
    .map((a) => a.join(''));
}

/** `SIZE=1*20DIGIT` (RFC 1870 §4): biased toward 0, small values and 20 digits. */
export function sizeParamArb(): fc.Arbitrary<EsmtpParam> {
  const value = fc.oneof(
    fc.nat({ max: 100_000_000 }).map(String),
    fc.constant('0'),
    stringOf(DIGIT, 20, 20).map((s) => `9${s.slice(1)}`),
  );
  return fc.tuple(mixedCaseArb('SIZE'), value).map(([keyword, v]) => ({ keyword, value: v }));
}

/** Known MAIL FROM parameters (values always valid). */
export function mailParamArb(): fc.Arbitrary<EsmtpParam> {
  return fc.oneof(
    sizeParamArb(),
    fc.tuple(mixedCaseArb('BODY'), fc.constantFrom('7BIT', '8BITMIME', 'BINARYMIME'), fc.boolean()).map(([keyword, v, lc]) => ({
      keyword,
      value: lc ? v.toLowerCase() : v,
    })),
    mixedCaseArb('SMTPUTF8').map((keyword) => ({ keyword })),
    fc.tuple(mixedCaseArb('RET'), fc.constantFrom('FULL', 'HDRS')).map(([keyword, value]) => ({ keyword, value })),
    fc.tuple(mixedCaseArb('ENVID'), xtextArb()).map(([keyword, value]) => ({ keyword, value })),
    fc.tuple(mixedCaseArb('AUTH'), fc.oneof(fc.constant('<>'), xtextArb())).map(([keyword, value]) => ({ keyword, value })),
  );
}

/** Known RCPT TO parameters (RFC 3461 NOTIFY and ORCPT). */
export function rcptParamArb(): fc.Arbitrary<EsmtpParam> {
  const notify = fc.oneof(
    fc.constant('NEVER'),
    fc
      .uniqueArray(fc.constantFrom('SUCCESS', 'FAILURE', 'DELAY'), { minLength: 1, maxLength: 3 })
      .map((a) => a.join(',')),
  );
  return fc.oneof(
    fc.tuple(mixedCaseArb('NOTIFY'), notify).map(([keyword, value]) => ({ keyword, value })),
    fc.tuple(mixedCaseArb('ORCPT'), fc.constantFrom('rfc822', 'RFC822', 'utf-8'), xtextArb()).map(([keyword, t, x]) => ({
      keyword,
      value: `${t};${x}`,
    })),
  );
}

/**
 * A syntactically valid parameter whose keyword no server knows
 * (`X-…`), which must get 555 (RFC 5321 §4.1.1.11).
 */
export function unknownParamArb(): fc.Arbitrary<EsmtpParam> {
  const kw = fc
    .tuple(unitOf(ALPHA), stringOf(`${ALPHA}${DIGIT}-`, 0, 12))
    .map(([a, b]) => `X-NL${a}${b}`);
  return fc.tuple(kw, fc.option(stringOf(ESMTP_VALUE, 1, 20), { nil: undefined })).map(([keyword, value]) =>
    value === undefined ? { keyword } : { keyword, value },
  );
}

/** Any syntactically valid ESMTP parameter (known or not). */
export function esmtpParamArb(): fc.Arbitrary<EsmtpParam> {
  return fc.oneof(mailParamArb(), rcptParamArb(), unknownParamArb());
}

/** A list of MAIL parameters with distinct keywords (case-insensitively). */
export function mailParamsArb(maxLength = 4): fc.Arbitrary<EsmtpParam[]> {
  return fc.uniqueArray(mailParamArb(), { maxLength, selector: (p) => p.keyword.toUpperCase() });
}

/** A list of RCPT parameters with distinct keywords (case-insensitively). */
export function rcptParamsArb(maxLength = 2): fc.Arbitrary<EsmtpParam[]> {
  return fc.uniqueArray(rcptParamArb(), { maxLength, selector: (p) => p.keyword.toUpperCase() });
}
