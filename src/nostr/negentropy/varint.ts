/**
 * Negentropy varints: base-128 digits, most significant first, the high bit set on every byte but the last.
 * Values are JavaScript numbers, so they stop at 2^53 − 1; nothing we send or accept needs more.
 */
export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
  const digits: number[] = [];
  do {
    digits.push(n % 128);
    n = Math.floor(n / 128);
  } while (n > 0);
  digits.reverse();
  for (let i = 0; i < digits.length - 1; i++) digits[i] |= 0x80;
  return Uint8Array.from(digits);
}
