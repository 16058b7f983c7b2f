// What every decoder owes malformed input: its own OerError (never TypeError or RangeError), at an offset inside the
// input, soon, and never a value bigger than the bytes it came from.
import { performance } from 'node:perf_hooks';
import { expect } from 'vitest';
import { OerError } from '../../src/ilp';

/** One decode of at most a few hundred bytes; far above its real cost, far below a hang or a huge allocation. */
const CASE_BUDGET_MS = 500;

/** The decoded value, or the OerError it failed with; anything else thrown fails the test. */
export function attempt<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T | OerError {
  const started = performance.now();
  let result: T | OerError;
  try {
    result = decode(bytes);
  } catch (error) {
    if (!(error instanceof OerError)) throw error;
    expect(error.reason).toBeTypeOf('string');
    expect(Number.isSafeInteger(error.offset) && error.offset >= 0 && error.offset <= bytes.length, `offset ${error.offset}`).toBe(true);
    result = error;
  }
  expect(performance.now() - started).toBeLessThan(CASE_BUDGET_MS);
  if (!(result instanceof OerError)) expect(payloadSize(result)).toBeLessThanOrEqual(bytes.length);
  return result;
}

/**
 * Bytes and UTF-16 units held by a decoded value. Every byte string and text is read from the input and a UTF-8
 * byte decodes to at most one UTF-16 unit, so a value bigger than its input was allocated from a lying length.
 */
export function payloadSize(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + payloadSize(item), 0);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.values(value).reduce((n: number, item) => n + payloadSize(item), 0);
  }
  return 0;
}

/** How many inputs decoded and how many were refused: a fuzzer whose inputs nearly all fail (or all pass) tests little. */
export class Outcomes {
  decoded = 0;
  refused = 0;

  count(result: unknown): void {
    if (result instanceof OerError) this.refused++;
    else this.decoded++;
  }

  /** Each outcome at least 5% of the cases (checked from 100 cases up; a replayed case is alone). */
  expectBoth(): void {
    const total = this.decoded + this.refused;
    if (total < 100) return;
    expect(this.decoded, 'inputs that decoded').toBeGreaterThan(total / 20);
    expect(this.refused, 'inputs refused').toBeGreaterThan(total / 20);
  }
}
