/**
 * Amounts between the ledger's scale (ASSET_SCALE) and a token's (USDC: 6). Neither direction rounds money away:
 * what is too small to pay in tokens stays owed in the ledger, and token sub-units worth less than one ledger
 * unit are carried as a leftover until they add up.
 */

/** The largest whole-token amount worth at most `ledgerAmount`, and its exact worth in ledger units. */
export function ledgerToTokens(ledgerAmount: bigint, assetScale: number, tokenScale: number): { tokens: bigint; worth: bigint } {
  if (assetScale >= tokenScale) {
    const f = 10n ** BigInt(assetScale - tokenScale);
    const tokens = ledgerAmount / f;
    return { tokens, worth: tokens * f };
  }
  const f = 10n ** BigInt(tokenScale - assetScale);
  return { tokens: ledgerAmount * f, worth: ledgerAmount };
}

/** What `tokens` (plus the leftover carried so far) are worth in whole ledger units, and the new leftover (token units). */
export function tokensToLedger(tokens: bigint, leftover: bigint, assetScale: number, tokenScale: number): { ledger: bigint; leftover: bigint } {
  if (assetScale >= tokenScale) return { ledger: (tokens + leftover) * 10n ** BigInt(assetScale - tokenScale), leftover: 0n };
  const f = 10n ** BigInt(tokenScale - assetScale);
  const total = tokens + leftover;
  return { ledger: total / f, leftover: total % f };
}
