/*
 * NIP-19 `npub` → hex pubkey: bech32 (BIP-173) decoding, just enough for one 32-byte key. Written here
 * rather than imported because nostr-tools is a test-only dependency.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const VALUES = new Map([...CHARSET].map((c, i) => [c, i]));

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATORS[i];
  }
  return chk;
}

/** The 64-hex-character pubkey an `npub1…` encodes, or undefined if it is not a valid npub. */
export function decodeNpub(npub: string): string | undefined {
  // BIP-173: all lower or all upper case, at most 90 characters; an npub is always 63.
  if (npub.length !== 63 || (npub !== npub.toLowerCase() && npub !== npub.toUpperCase())) return undefined;
  const s = npub.toLowerCase();
  if (!s.startsWith('npub1')) return undefined;
  const words: number[] = [];
  for (const c of s.slice(5)) {
    const v = VALUES.get(c);
    if (v === undefined) return undefined;
    words.push(v);
  }
  const hrp = [...'npub'].map((c) => c.charCodeAt(0));
  const expanded = [...hrp.map((c) => c >> 5), 0, ...hrp.map((c) => c & 31)];
  if (polymod([...expanded, ...words]) !== 1) return undefined;
  // 5-bit words → bytes, without the 6 checksum words; leftover bits must be zero padding (< 5 of them).
  let acc = 0;
  let bits = 0;
  let hex = '';
  for (const w of words.slice(0, -6)) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      hex += ((acc >>> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return hex.length === 64 ? hex : undefined;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** A pubkey as a payment pointer's path gives it (64 hex in either case, or an npub), as 64 lowercase hex. */
export function parsePubkey(id: string): string | undefined {
  if (HEX64.test(id)) return id.toLowerCase();
  return decodeNpub(id);
}

/** NIP-19 `npub1…` of a 64-hex pubkey (bech32, BIP-173), as the dashboard shows it. */
export function encodeNpub(pubkeyHex: string): string {
  if (!HEX64.test(pubkeyHex)) throw new TypeError(`not a hex pubkey: ${pubkeyHex}`);
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of Buffer.from(pubkeyHex, 'hex')) {
    acc = ((acc << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const hrp = [...'npub'].map((c) => c.charCodeAt(0));
  const expanded = [...hrp.map((c) => c >> 5), 0, ...hrp.map((c) => c & 31)];
  const mod = polymod([...expanded, ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `npub1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`;
}
