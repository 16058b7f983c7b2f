import { randomBytes } from 'node:crypto';
import { verifySchnorr } from 'tiny-secp256k1';
import { describe, expect, it } from 'vitest';
import { verifier, verifySignature } from '../../src/nostr/verify';
import { signer } from '../helpers/client';

describe('signature verification', () => {
  // CI installs libsecp256k1-dev, so the native addon is built there; a machine without it uses WASM.
  it(`uses ${verifier.name}`, () => {
    expect(['native libsecp256k1', 'wasm (tiny-secp256k1)']).toContain(verifier.name);
    if (process.env.CI) expect(verifier.name).toBe('native libsecp256k1');
  });

  it('agrees with the WASM reference on valid, tampered and malformed signatures', () => {
    const wasm = (id: string, pk: string, sig: string) => {
      try {
        return verifySchnorr(Buffer.from(id, 'hex'), Buffer.from(pk, 'hex'), Buffer.from(sig, 'hex'));
      } catch {
        return false;
      }
    };
    const s = signer();
    let valid = 0;
    for (let i = 0; i < 300; i++) {
      const e = s.sign({ content: `n${i}` });
      const cases: [string, string, string][] = [
        [e.id, e.pubkey, e.sig],
        [e.id, e.pubkey, e.sig.slice(0, 10) + (e.sig[10] === 'a' ? 'b' : 'a') + e.sig.slice(11)],
        [randomBytes(32).toString('hex'), e.pubkey, e.sig],
        [e.id, randomBytes(32).toString('hex'), e.sig],
        [e.id, 'f'.repeat(64), e.sig],
      ];
      for (const [id, pk, sig] of cases) {
        const got = verifySignature(id, pk, sig);
        expect(got).toBe(wasm(id, pk, sig));
        if (got) valid++;
      }
    }
    expect(valid).toBe(300);
  });

  it('rejects wrong lengths without throwing', () => {
    expect(verifySignature('ab', 'cd', 'ef')).toBe(false);
  });
});
