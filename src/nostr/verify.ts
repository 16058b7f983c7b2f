import { verifySchnorr } from 'tiny-secp256k1';
import { loadAddon } from '../native';

interface NativeVerifier {
  verify(id: Buffer, pubkey: Buffer, sig: Buffer): boolean;
}

/**
 * BIP-340 verification of an event's signature over its 32-byte id. The fastest option here is our N-API addon
 * over the system libsecp256k1 (native/secp256k1, ~7× WASM, see bench/verify.mjs); where it was not built or
 * cannot load, tiny-secp256k1 (libsecp256k1 compiled to WASM, the fastest verifier on npm) takes over.
 */
function chooseVerifier(): { name: string; fallbackReason?: string; verify: (id: Buffer, pk: Buffer, sig: Buffer) => boolean } {
  let reason = 'native addon not built';
  try {
    const native = loadAddon<NativeVerifier>('nostr_secp256k1.node', 'native/secp256k1/build/Release');
    if (native) return { name: 'native libsecp256k1', verify: native.verify };
  } catch (err) {
    reason = `native addon failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
  return {
    name: 'wasm (tiny-secp256k1)',
    fallbackReason: reason,
    verify: (id, pk, sig) => {
      try {
        return verifySchnorr(id, pk, sig);
      } catch {
        // tiny-secp256k1 throws for a pubkey that is not on the curve: that is just an invalid signature
        return false;
      }
    },
  };
}

export const verifier = chooseVerifier();

export function verifySignature(idHex: string, pubkeyHex: string, sigHex: string): boolean {
  return verifier.verify(Buffer.from(idHex, 'hex'), Buffer.from(pubkeyHex, 'hex'), Buffer.from(sigHex, 'hex'));
}
