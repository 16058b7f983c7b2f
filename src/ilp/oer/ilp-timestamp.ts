import { utcDate, utcFields } from './utc-date';

/** ILP timestamps are 17 ASCII digits, YYYYMMDDHHmmssfff in UTC (RFC 30 "Fixed-length Timestamps"). */
export const ILP_TIMESTAMP_LENGTH = 17;

const ILP_TIMESTAMP = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/;

export function formatIlpTimestamp(date: Date): string {
  return utcFields(date).join('');
}

/** Undefined for anything RFC 30 says parsers must reject, including an unsmeared leap second. */
export function parseIlpTimestamp(text: string): Date | undefined {
  const match = ILP_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second, ms] = match.slice(1).map(Number);
  return utcDate(year, month, day, hour, minute, second, ms, 59);
}
