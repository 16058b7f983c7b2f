import { encodeAbiParameters, hexToBigInt, isAddressEqual, keccak256, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from 'viem';

/**
 * A voucher: the payer's EIP-712 signature over `Voucher(bytes32 channelId,uint128 cumulativeAmount)`, the
 * 2026 stream-channel type (TempoStreamChannel, x402's EVM session scheme). Cumulative, so a newer voucher
 * replaces the older one and resending it is harmless; the payee redeems the difference to what is settled.
 */
export interface Voucher {
  channelId: Hex;
  cumulativeAmount: bigint;
  signature: Hex;
}

/** The contract a voucher is bound to: chain id and channel contract are in the domain, so it cannot be replayed elsewhere. */
export interface VoucherDomain {
  chainId: number;
  verifyingContract: Address;
}

export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'cumulativeAmount', type: 'uint128' },
  ],
} as const;

const MAX_UINT128 = 2n ** 128n - 1n;
/** secp256k1's group order over 2: the contract refuses a larger `s` (the malleable twin of a valid signature). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

const typedDomain = (d: VoucherDomain) => ({ name: 'EVM Payment Channel', version: '1', chainId: d.chainId, verifyingContract: d.verifyingContract });

export function signVoucher(account: LocalAccount, domain: VoucherDomain, channelId: Hex, cumulativeAmount: bigint): Promise<Hex> {
  return account.signTypedData({ domain: typedDomain(domain), types: VOUCHER_TYPES, primaryType: 'Voucher', message: { channelId, cumulativeAmount } });
}

/** Who signed the voucher, or undefined for a signature the contract would refuse (malformed, high s). */
export async function voucherSigner(domain: VoucherDomain, v: Voucher): Promise<Address | undefined> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(v.signature)) return undefined;
  if (v.cumulativeAmount < 0n || v.cumulativeAmount > MAX_UINT128) return undefined;
  if (hexToBigInt(`0x${v.signature.slice(66, 130)}`) > HALF_N) return undefined;
  try {
    return await recoverTypedDataAddress({
      domain: typedDomain(domain),
      types: VOUCHER_TYPES,
      primaryType: 'Voucher',
      message: { channelId: v.channelId, cumulativeAmount: v.cumulativeAmount },
      signature: v.signature,
    });
  } catch {
    return undefined;
  }
}

/** The voucher domain of a settlement chain: its chain id and channel contract. */
export const domainOf = (c: { chain: { chainId: number; contract: Address } }): VoucherDomain => ({ chainId: c.chain.chainId, verifyingContract: c.chain.contract });

export const sameAddress = (a: Address, b: Address) => isAddressEqual(a, b);

/** The contract's `computeChannelId`: keccak256(abi.encode(payer, payee, token, salt, authorizedSigner, contract, chainId)). */
export function channelIdOf(domain: VoucherDomain, payer: Address, payee: Address, token: Address, salt: Hex, authorizedSigner: Address): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'bytes32' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }],
      [payer, payee, token, salt, authorizedSigner, domain.verifyingContract, BigInt(domain.chainId)],
    ),
  );
}
