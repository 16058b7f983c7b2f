import { verifySchnorr } from 'tiny-secp256k1';

/**
 * BIP-340 check of `sig` over the 32-byte id. tiny-secp256k1 (libsecp256k1 compiled to WASM) measured fastest of
 * the verifiers that install from npm here (bench/verify.mjs): ~5× nostr-tools' pure-JS verifier.
 */
export function verifySignature(idHex: string, pubkeyHex: string, sigHex: string): boolean {
  try {
    return verifySchnorr(Buffer.from(idHex, 'hex'), Buffer.from(pubkeyHex, 'hex'), Buffer.from(sigHex, 'hex'));
  } catch {
    // tiny-secp256k1 throws for a pubkey that is not a point on the curve: that is just an invalid signature.
    return false;
  }
}
