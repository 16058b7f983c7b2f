/**
 * Arithmetic mod 2^256 on numbers stored as eight 32-bit words, least significant first: the fingerprint adds
 * ids read as 32-byte little-endian integers. Each function works in place on (array, word offset).
 */

/** dst[d..d+8) = a[x..x+8) + id, where id is 32 bytes little-endian at `bytes[b..b+32)`. */
export function addId(dst: Uint32Array, d: number, a: Uint32Array, x: number, bytes: Uint8Array, b: number): void {
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const o = b + k * 4;
    const word = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
    const s = a[x + k] + word + carry;
    dst[d + k] = s >>> 0;
    carry = s > 0xffffffff ? 1 : 0;
  }
}

/** out = a[x..x+8) − b[y..y+8) mod 2^256, as 32 bytes little-endian. */
export function subtractToBytes(a: Uint32Array, x: number, b: Uint32Array, y: number): Uint8Array {
  const out = new Uint8Array(32);
  let borrow = 0;
  for (let k = 0; k < 8; k++) {
    let s = a[x + k] - b[y + k] - borrow;
    borrow = s < 0 ? 1 : 0;
    if (s < 0) s += 0x100000000;
    out[k * 4] = s & 0xff;
    out[k * 4 + 1] = (s >>> 8) & 0xff;
    out[k * 4 + 2] = (s >>> 16) & 0xff;
    out[k * 4 + 3] = (s >>> 24) & 0xff;
  }
  return out;
}
