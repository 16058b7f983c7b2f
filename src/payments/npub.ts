/* NIP-19 `npub` ↔ hex pubkey over @scure/base's audited bech32 (BIP-173). */
import { bech32 } from '@scure/base';

/** The 64-hex-character pubkey an `npub1…` encodes, or undefined if it is not a valid npub. */
export function decodeNpub(npub: string): string | undefined {
  // An npub is always 63 characters; bech32 itself refuses mixed case and a bad checksum.
  if (npub.length !== 63) return undefined;
  const decoded = bech32.decodeUnsafe(npub);
  if (!decoded || decoded.prefix !== 'npub') return undefined;
  // Leftover bits must be zero padding; fromWordsUnsafe refuses anything else.
  const bytes = bech32.fromWordsUnsafe(decoded.words);
  return bytes && bytes.length === 32 ? Buffer.from(bytes).toString('hex') : undefined;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** A pubkey as a payment pointer's path gives it (64 hex in either case, or an npub), as 64 lowercase hex. */
export function parsePubkey(id: string): string | undefined {
  if (HEX64.test(id)) return id.toLowerCase();
  return decodeNpub(id);
}

/** NIP-19 `npub1…` of a 64-hex pubkey, as the dashboard shows it. */
export function encodeNpub(pubkeyHex: string): string {
  if (!HEX64.test(pubkeyHex)) throw new TypeError(`not a hex pubkey: ${pubkeyHex}`);
  return bech32.encode('npub', bech32.toWords(Buffer.from(pubkeyHex, 'hex')));
}
