import { randomBytes } from 'node:crypto';
import { verifySchnorr } from 'tiny-secp256k1';
import { describe, expect, it } from 'vitest';
import { verifier, verifySignature, VerifyQueue } from '../../src/nostr/verify';
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

describe('VerifyQueue', () => {
  const s = signer();
  // valid and tampered signatures interleaved, more than one thread-pool task's worth
  const cases = Array.from({ length: 300 }, (_, i) => {
    const e = s.sign({ content: `q${i}` });
    const valid = i % 3 !== 0;
    return { id: e.id, pubkey: e.pubkey, sig: valid ? e.sig : e.sig.slice(0, 20) + (e.sig[20] === '0' ? '1' : '0') + e.sig.slice(21), valid };
  });
  const wasm = { name: 'wasm', verify: (id: Buffer, pk: Buffer, sig: Buffer) => {
    try {
      return verifySchnorr(id, pk, sig);
    } catch {
      return false;
    }
  } };

  for (const [name, v] of [[verifier.name, verifier], ['wasm (on the loop)', wasm]] as const) {
    it(`answers every check in the order asked, off the caller's turn (${name})`, async () => {
      const q = new VerifyQueue((err) => { throw err; }, v);
      const answers: [number, boolean][] = [];
      cases.forEach((c, i) => q.verify(c.id, c.pubkey, c.sig, (ok) => answers.push([i, ok])));
      expect(answers).toEqual([]);
      await q.idle();
      expect(answers).toEqual(cases.map((c, i) => [i, c.valid]));
      await q.idle(); // nothing pending: resolves at once
    });
  }

  it.runIf(verifier.verifyBatch)('the native batch refuses buffers of the wrong sizes', () => {
    expect(() => verifier.verifyBatch!(Buffer.alloc(100), Buffer.alloc(1), () => {})).toThrow(TypeError);
    expect(() => verifier.verifyBatch!(Buffer.alloc(128), Buffer.alloc(1), undefined as never)).toThrow(TypeError);
  });

  it('idle() waits for the checks asked before it, not for those that keep coming', async () => {
    const q = new VerifyQueue((err) => { throw err; });
    let answered = 0;
    let stop = false;
    const ask = (i: number) => q.verify(cases[i % cases.length].id, cases[i % cases.length].pubkey, cases[i % cases.length].sig, () => answered++);
    for (let i = 0; i < 100; i++) ask(i);
    // a steady stream: every turn asks for more
    const more = () => {
      if (stop) return;
      for (let i = 0; i < 5; i++) ask(i);
      setImmediate(more);
    };
    more();
    await q.idle();
    stop = true;
    expect(answered).toBeGreaterThanOrEqual(100);
    await q.idle();
    expect(q.pending).toBe(0);
  });

  it('refuses checks past its limit until answers make room; an answer may ask again', async () => {
    const q = new VerifyQueue((err) => { throw err; }, verifier, 3);
    const answers: string[] = [];
    const c = cases[1];
    expect(q.verify(c.id, c.pubkey, c.sig, () => {
      answers.push('a');
      // asked from inside an answer: queued for the next batch
      expect(q.verify(c.id, c.pubkey, c.sig, () => answers.push('d'))).toBe(true);
    })).toBe(true);
    expect(q.verify(c.id, c.pubkey, c.sig, () => answers.push('b'))).toBe(true);
    expect(q.verify(c.id, c.pubkey, c.sig, () => answers.push('c'))).toBe(true);
    expect(q.verify(c.id, c.pubkey, c.sig, () => answers.push('x'))).toBe(false);
    expect(q.pending).toBe(3);
    await q.idle();
    await q.idle();
    expect(answers).toEqual(['a', 'b', 'c', 'd']);
    expect(q.pending).toBe(0);
  });

  it('an answer that throws is reported and the others are still answered', async () => {
    const errors: unknown[] = [];
    const q = new VerifyQueue((err) => errors.push(err));
    const answered: boolean[] = [];
    q.verify(cases[1].id, cases[1].pubkey, cases[1].sig, () => {
      throw new Error('boom');
    });
    q.verify(cases[2].id, cases[2].pubkey, cases[2].sig, (ok) => answered.push(ok));
    await q.idle();
    expect(answered).toEqual([true]);
    expect(String(errors[0])).toMatch(/boom/);
  });
});
