// Money formats for the dashboard: exact, from the integer amounts the server sends as decimal strings (BigInt,
// never floats), with the asset code. A classic script: the page and the unit tests (in a vm context) read
// globalThis.DashboardFormat.
'use strict';
(() => {
  const nf = new Intl.NumberFormat('en-US');
  /** SI prefixes by power of ten, for amounts under one unit of the asset (0.000156 USD reads 156 µUSD). */
  const PREFIX = new Map([[-3, 'm'], [-6, 'µ'], [-9, 'n'], [-12, 'p'], [-15, 'f'], [-18, 'a'], [-21, 'z'], [-24, 'y']]);

  const big = (str) => BigInt(String(str));
  const pow10 = (n) => 10n ** BigInt(n);

  /** |n| / 10^shift rounded half-up to `decimals` places, as [whole digits, fraction digits]; shift may be < 0. */
  function fixed(n, shift, decimals) {
    let scaled;
    if (shift - decimals <= 0) scaled = n * pow10(decimals - shift);
    else {
      const d = pow10(shift - decimals);
      scaled = (n + d / 2n) / d;
    }
    const digits = scaled.toString().padStart(decimals + 1, '0');
    return [digits.slice(0, digits.length - decimals), digits.slice(digits.length - decimals)];
  }

  function join(neg, whole, frac, trim) {
    const f = trim ? frac.replace(/0+$/, '') : frac;
    return `${neg ? '−' : ''}${nf.format(BigInt(whole))}${f ? '.' + f : ''}`;
  }

  /** Every digit: "0.000000156 USD", "1,234.5 USD" (trailing zeros dropped). For titles and tooltips. */
  function amountExact(str, scale, code) {
    const n = big(str);
    const [whole, frac] = fixed(n < 0n ? -n : n, scale, scale);
    return `${join(n < 0n, whole, frac, true)} ${code}`.trim();
  }

  /** The power of ten (a multiple of 3, at most 0) whose SI prefix suits amount |n| in units of 10^-scale. */
  function prefixFor(n, scale) {
    const a = n < 0n ? -n : n;
    if (a === 0n) return 0;
    const e = a.toString().length - 1 - scale; // power of ten of the leading digit, in whole units
    if (e >= 0) return 0;
    return Math.max(-24, 3 * Math.floor(e / 3));
  }

  /**
   * Short and readable at any size, 4 significant digits: "21.08 USD", "1,234.57 USD", and under one unit an SI
   * prefix on the asset code: "156.2 µUSD", "41.77 mUSD", "7 nUSD". Rounding is decimal, on the integer.
   */
  function amountShort(str, scale, code) {
    const n = big(str);
    const a = n < 0n ? -n : n;
    if (a === 0n) return `0 ${code}`.trim();
    let p = prefixFor(n, scale);
    if (p === 0) {
      const [whole, frac] = fixed(a, scale, Math.min(2, scale));
      return `${join(n < 0n, whole, frac, false)} ${code}`.trim();
    }
    // The mantissa is |n| in units of 10^p, with 4 significant digits: 3 decimals for 1–9.999, 2, then 1.
    const lead = a.toString().length - 1 - scale;
    let [whole, frac] = fixed(a, scale + p, Math.max(0, 3 - (lead - p)));
    if (whole.length > 3 && p < 0) {
      p += 3; // 999.96 µ rounds to 1000 µ: say 1 m
      [whole, frac] = fixed(a, scale + p, 3);
    }
    const unit = p === 0 ? code : `${PREFIX.get(p)}${code}`;
    return `${join(n < 0n, whole, frac, true)} ${unit}`.trim();
  }

  /**
   * Axis labels for amounts: one prefix for the whole axis, chosen by its top value, so that 0, 50, 100, 150,
   * 200 µUSD line up and never all read "0.00". Values are whole smallest units.
   */
  function amountAxis(str, top, scale, code) {
    const n = big(str);
    const p = prefixFor(big(top), scale);
    const decimals = Math.min(3, Math.max(0, scale + p));
    const [whole, frac] = fixed(n < 0n ? -n : n, scale + p, decimals);
    const unit = p === 0 ? code : `${PREFIX.get(p)}${code}`;
    return `${join(n < 0n, whole, frac, true)} ${unit}`.trim();
  }

  globalThis.DashboardFormat = { amountExact, amountShort, amountAxis };
})();
