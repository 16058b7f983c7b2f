import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ledgerToTokens, tokensToLedger } from '../../src/settlement/amounts';

describe('amounts between the ledger and a token', () => {
  it('pays whole token units and leaves the rest owed (ledger scale 9, USDC 6)', () => {
    expect(ledgerToTokens(1_234_567n, 9, 6)).toEqual({ tokens: 1234n, worth: 1_234_000n });
    expect(ledgerToTokens(999n, 9, 6)).toEqual({ tokens: 0n, worth: 0n });
    expect(ledgerToTokens(5n, 2, 6)).toEqual({ tokens: 50_000n, worth: 5n });
  });

  it('credits whole ledger units and carries the token sub-units', () => {
    expect(tokensToLedger(1234n, 0n, 9, 6)).toEqual({ ledger: 1_234_000n, leftover: 0n });
    expect(tokensToLedger(12_345n, 0n, 2, 6)).toEqual({ ledger: 1n, leftover: 2345n });
    expect(tokensToLedger(7655n, 2345n, 2, 6)).toEqual({ ledger: 1n, leftover: 0n });
  });

  it('never loses a sub-unit: over any split of a payment, credited + leftover is the whole', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { maxLength: 30 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 18 }), (parts, assetScale, tokenScale) => {
        let leftover = 0n;
        let credited = 0n;
        for (const p of parts) {
          const r = tokensToLedger(p, leftover, assetScale, tokenScale);
          credited += r.ledger;
          leftover = r.leftover;
        }
        const total = parts.reduce((a, b) => a + b, 0n);
        // in token units: what was credited, converted back, plus what is carried
        const back = assetScale >= tokenScale ? credited / 10n ** BigInt(assetScale - tokenScale) : credited * 10n ** BigInt(tokenScale - assetScale);
        expect(back + leftover).toBe(total);
        const paid = ledgerToTokens(total, assetScale, tokenScale);
        expect(paid.worth <= total).toBe(true);
      }),
    );
  });
});
