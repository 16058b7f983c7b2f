import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

/** The page's money formats (a classic browser script), run as the browser runs them: in a global scope of its own. */
type Format = {
  amountExact(str: string, scale: number, code: string): string;
  amountShort(str: string, scale: number, code: string): string;
  amountAxis(str: string, top: string, scale: number, code: string): string;
};
const context: { DashboardFormat?: Format } = {};
runInNewContext(readFileSync(path.resolve(__dirname, '../../src/ops/dashboard/static/format.js'), 'utf8'), context);
const F = context.DashboardFormat!;

describe('dashboard money formats', () => {
  it('writes every digit exactly, past 2^53, with the asset code', () => {
    expect(F.amountExact('156', 9, 'USD')).toBe('0.000000156 USD');
    expect(F.amountExact('156234', 9, 'USD')).toBe('0.000156234 USD');
    expect(F.amountExact('21080000000', 9, 'USD')).toBe('21.08 USD');
    expect(F.amountExact('0', 9, 'USD')).toBe('0 USD');
    expect(F.amountExact('-5', 2, 'EUR')).toBe('−0.05 EUR');
    expect(F.amountExact('12345', 0, 'XRP')).toBe('12,345 XRP');
    expect(F.amountExact('123456789012345678901234567891', 9, 'USD')).toBe('123,456,789,012,345,678,901.234567891 USD');
  });

  it('shortens micro-prices to 4 significant digits with an SI prefix, never to 0.00', () => {
    const cases: [string, number, string][] = [
      ['156234', 9, '156.2 µUSD'],
      ['156', 9, '156 nUSD'],
      ['7', 9, '7 nUSD'],
      ['41772000', 9, '41.77 mUSD'],
      ['272400000', 9, '272.4 mUSD'],
      ['1234', 9, '1.234 µUSD'],
      ['999500', 9, '999.5 µUSD'],
      ['999960', 9, '1 mUSD'], // rounds up into the next prefix
      ['50', 2, '500 mUSD'],
      ['1', 18, '1 aETH'],
      ['0', 9, '0 USD'],
      ['-1500', 9, '−1.5 µUSD'],
    ];
    for (const [str, scale, want] of cases) expect(F.amountShort(str, scale, scale === 18 ? 'ETH' : 'USD'), str).toBe(want);
  });

  it('shortens whole units to cents, with thousands separators, exactly', () => {
    expect(F.amountShort('21080000000', 9, 'USD')).toBe('21.08 USD');
    expect(F.amountShort('1234567890123', 9, 'USD')).toBe('1,234.57 USD');
    expect(F.amountShort('1005000000', 9, 'USD')).toBe('1.01 USD'); // half up, decimal: no 1.00499999 float
    expect(F.amountShort('123456789012345678901234567891', 9, 'USD')).toBe('123,456,789,012,345,678,901.23 USD');
    expect(F.amountShort('42', 0, 'XRP')).toBe('42 XRP');
  });

  it('labels a chart axis with one prefix chosen by its top value', () => {
    const ticks = ['0', '50000', '100000', '150000', '200000'];
    expect(ticks.map((v) => F.amountAxis(v, '200000', 9, 'USD'))).toEqual(['0 µUSD', '50 µUSD', '100 µUSD', '150 µUSD', '200 µUSD']);
    expect(['0', '250', '500', '750', '1000'].map((v) => F.amountAxis(v, '1000', 9, 'USD'))).toEqual(['0 µUSD', '0.25 µUSD', '0.5 µUSD', '0.75 µUSD', '1 µUSD']);
    expect(['0', '25', '50'].map((v) => F.amountAxis(v, '50', 2, 'USD'))).toEqual(['0 mUSD', '250 mUSD', '500 mUSD']);
    expect(F.amountAxis('2500000000', '10000000000', 9, 'USD')).toBe('2.5 USD');
  });
});
