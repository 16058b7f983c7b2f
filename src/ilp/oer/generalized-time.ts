import { utcDate, utcFields } from './utc-date';

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?Z$/;

/**
 * BTP's GeneralizedTime, always with three millisecond digits ("20170828183200.000Z").
 * RFC 30 says to drop trailing zeros, but btp-packet (and the RFC 23 fixtures) always write three
 * digits and btp-packet's parser accepts nothing else, so this is the form peers can read.
 */
export function formatGeneralizedTime(date: Date): string {
  const [year, month, day, hour, minute, second, ms] = utcFields(date);
  return `${year}${month}${day}${hour}${minute}${second}.${ms}Z`;
}

/** Accepts 0 to 3 fraction digits (RFC 30 and btp-packet forms) and leap seconds; undefined otherwise. */
export function parseGeneralizedTime(text: string): Date | undefined {
  const match = GENERALIZED_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const ms = Number((match[7] ?? '').padEnd(3, '0'));
  return utcDate(year, month, day, hour, minute, second, ms, 60);
}
