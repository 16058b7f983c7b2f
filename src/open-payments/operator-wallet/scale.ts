/**
 * Amounts between the relay's scale (ASSET_SCALE) and the operator wallet's (its assetScale), both of ASSET_CODE.
 * Exact both ways: a top-up asked for in our units becomes a whole number of wallet units, and wallet units received
 * become our units with what is below one of our units kept as a leftover (wallet units) for the next top-up.
 */
export class ScaleConversion {
  /** ourScale − walletScale. */
  readonly shift: number;
  readonly #factor: bigint;

  constructor(
    readonly ourScale: number,
    readonly walletScale: number,
  ) {
    this.shift = ourScale - walletScale;
    this.#factor = 10n ** BigInt(Math.abs(this.shift));
  }

  /** Our smallest top-up expressible in wallet units (1 unless the wallet is coarser than we are). */
  get step(): bigint {
    return this.shift > 0 ? this.#factor : 1n;
  }

  /** Wallet units for `amount` of ours, or undefined when it is no whole number of them. */
  toWallet(amount: bigint): bigint | undefined {
    if (this.shift >= 0) return amount % this.#factor === 0n ? amount / this.#factor : undefined;
    return amount * this.#factor;
  }

  /** Our units for `walletUnits`, and the wallet units below one of ours that are left over. */
  fromWallet(walletUnits: bigint): { amount: bigint; leftover: bigint } {
    if (this.shift >= 0) return { amount: walletUnits * this.#factor, leftover: 0n };
    return { amount: walletUnits / this.#factor, leftover: walletUnits % this.#factor };
  }
}
