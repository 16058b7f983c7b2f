const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/**
 * Builds a UTC date from calendar fields, or undefined when a field is out of range.
 * Uses setUTCFullYear because Date.UTC maps years 0..99 to 1900..1999.
 * A second of 60 (a leap second) rolls into the next minute, as JS dates have no leap seconds.
 */
export function utcDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond: number,
  maxSecond: 59 | 60,
): Date | undefined {
  if (month < 1 || month > 12) return undefined;
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > days || hour > 23 || minute > 59 || second > maxSecond) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  // a leap second at the very end of 9999 rolls into a year the four-digit formats cannot write back
  return date.getUTCFullYear() > 9999 ? undefined : date;
}

/** Calendar fields of a date in UTC, zero-padded for the fixed-width OER time formats. */
export function utcFields(date: Date): string[] {
  const year = date.getUTCFullYear();
  if (!Number.isFinite(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError(`date cannot be encoded with a four-digit year: ${date.toString()}`);
  }
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return [
    pad(year, 4),
    pad(date.getUTCMonth() + 1),
    pad(date.getUTCDate()),
    pad(date.getUTCHours()),
    pad(date.getUTCMinutes()),
    pad(date.getUTCSeconds()),
    pad(date.getUTCMilliseconds(), 3),
  ];
}
