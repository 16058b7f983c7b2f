// Vouchers without a chain: recoverVoucherSigner takes exactly what the contract takes (checked against the
// contract itself in contract.test.ts) and answers undefined, never throws, for anything malformed.
import { describe, expect, it } from 'vitest';
import { recoverTypedDataAddress, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { channelIdOf, recoverVoucherSigner, signVoucher, voucherTypedData, type Voucher } from '../../src/settlement/contract';

const payer = privateKeyToAccount(`0x${'42'.repeat(32)}`);
const scope = { chainId: 8453, contract: '0x00000000000000000000000000000000000000c0' as const };
const channelId = channelIdOf({ payer: payer.address, payee: '0x00000000000000000000000000000000000000b0', token: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', salt: `0x${'00'.repeat(32)}`, authorizedSigner: '0x0000000000000000000000000000000000000000' }, scope);
const voucher: Voucher = { ...scope, channelId, cumulativeAmount: 5_000_000n };

describe('recoverVoucherSigner', () => {
  it('agrees with viem on good vouchers, across amounts up to uint128', async () => {
    for (const cumulativeAmount of [0n, 1n, 5_000_000n, 2n ** 128n - 1n]) {
      const v = { ...voucher, cumulativeAmount };
      const sig = await signVoucher(payer, v);
      expect(recoverVoucherSigner(v, sig)).toBe(payer.address);
      expect(await recoverTypedDataAddress({ ...voucherTypedData(v), signature: sig })).toBe(payer.address);
    }
  });

  it('answers undefined for malformed input instead of throwing', async () => {
    const sig = await signVoucher(payer, voucher);
    const cases: [Voucher, string][] = [
      [voucher, sig.slice(0, -2)],
      [voucher, `${sig}00`],
      [voucher, 'not hex'],
      [voucher, `0x${'00'.repeat(65)}`],
      [voucher, `0x${'ff'.repeat(64)}1b`], // r and s beyond the curve order
      [voucher, `${sig.slice(0, 130)}1d`], // v 29
      [{ ...voucher, cumulativeAmount: 2n ** 128n }, sig],
      [{ ...voucher, cumulativeAmount: -1n }, sig],
      [{ ...voucher, channelId: '0x1234' as Hex }, sig],
    ];
    for (const [v, s] of cases) expect(recoverVoucherSigner(v, s as Hex), s).toBeUndefined();
  });
});
