/**
 * The StreamChannel contract (contracts/StreamChannel.sol) seen from TypeScript, with no network: its ABI and
 * bytecode, channel ids, and vouchers (EIP-712 `Voucher(bytes32 channelId,uint128 cumulativeAmount)`, domain
 * "EVM Payment Channel" version "1" with the chain id and contract address). Talking to a chain: ./chain.ts.
 *
 *   streamChannelAbi, streamChannelBytecode          compiled at build time (scripts/solidity.mjs)
 *   NATIVE_TOKEN                                     token address(0): the chain's native coin (ETH on Base)
 *   ChannelKey {payer, payee, token, salt, authorizedSigner}
 *                                                    what a channel id is made of; settle/topUp/close/withdraw
 *                                                    take token, authorizedSigner and salt again (not stored)
 *   channelIdOf(key, scope): Hex                     the id the contract computes for `key` (scope: chainId, contract)
 *   voucherSigner(key): Address                      authorizedSigner, or the payer when it is address(0)
 *   voucherTypedData(voucher)                        the EIP-712 object (domain, types, message) viem signs
 *   voucherDigest(voucher): Hex                      the digest signed (equals the contract's getVoucherDigest)
 *   signVoucher(account, voucher): Promise<Hex>      65-byte r‖s‖v signature, low s
 *   recoverVoucherSigner(voucher, signature): Address | undefined
 *                                                    who signed it, by the contract's own rules (65 bytes, v 27/28,
 *                                                    low s, amount < 2^128); undefined when the contract would
 *                                                    reject it. WASM secp256k1: ~10× viem's pure-JS recovery
 *                                                    (bench/vouchers.mjs).
 */
import { recover } from 'tiny-secp256k1';
import {
  concat,
  encodeAbiParameters,
  getAddress,
  hexToBytes,
  keccak256,
  numberToHex,
  pad,
  stringToHex,
  zeroAddress,
  type Address,
  type Hex,
  type LocalAccount,
} from 'viem';

export { streamChannelAbi, streamChannelBytecode, streamChannelEvmVersion } from './channel-artifact';

export const NATIVE_TOKEN: Address = zeroAddress;
export const VOUCHER_DOMAIN_NAME = 'EVM Payment Channel';
export const VOUCHER_DOMAIN_VERSION = '1';
const MAX_UINT128 = 2n ** 128n - 1n;
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** The deployment a channel or voucher belongs to. */
export interface ChannelScope {
  chainId: number;
  contract: Address;
}

export interface ChannelKey {
  payer: Address;
  payee: Address;
  /** NATIVE_TOKEN for the native coin. */
  token: Address;
  salt: Hex;
  /** zeroAddress: the payer signs. */
  authorizedSigner: Address;
}

export interface Voucher extends ChannelScope {
  channelId: Hex;
  /** Everything paid on the channel so far, in the token's smallest unit. */
  cumulativeAmount: bigint;
}

export function channelIdOf(key: ChannelKey, scope: ChannelScope): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'bytes32' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }],
      [key.payer, key.payee, key.token, key.salt, key.authorizedSigner, scope.contract, BigInt(scope.chainId)],
    ),
  );
}

export const voucherSigner = (key: Pick<ChannelKey, 'payer' | 'authorizedSigner'>): Address =>
  key.authorizedSigner === zeroAddress ? key.payer : key.authorizedSigner;

export function voucherTypedData(v: Voucher) {
  return {
    domain: { name: VOUCHER_DOMAIN_NAME, version: VOUCHER_DOMAIN_VERSION, chainId: v.chainId, verifyingContract: v.contract },
    types: { Voucher: [{ name: 'channelId', type: 'bytes32' }, { name: 'cumulativeAmount', type: 'uint128' }] },
    primaryType: 'Voucher',
    message: { channelId: v.channelId, cumulativeAmount: v.cumulativeAmount },
  } as const;
}

const DOMAIN_TYPEHASH = keccak256(stringToHex('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'));
const VOUCHER_TYPEHASH = keccak256(stringToHex('Voucher(bytes32 channelId,uint128 cumulativeAmount)'));
const NAME_HASH = keccak256(stringToHex(VOUCHER_DOMAIN_NAME));
const VERSION_HASH = keccak256(stringToHex(VOUCHER_DOMAIN_VERSION));
/** Domain separators by chain and contract: a peer talks to a handful, and hashing one costs as much as a voucher. */
const separators = new Map<string, Hex>();

function domainSeparator(scope: ChannelScope): Hex {
  const key = `${scope.chainId}:${scope.contract.toLowerCase()}`;
  let sep = separators.get(key);
  if (!sep) {
    sep = keccak256(concat([DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, numberToHex(scope.chainId, { size: 32 }), pad(scope.contract.toLowerCase() as Hex)]));
    separators.set(key, sep);
  }
  return sep;
}

export function voucherDigest(v: Voucher): Hex {
  if (v.cumulativeAmount < 0n || v.cumulativeAmount > MAX_UINT128) throw new RangeError('cumulativeAmount must fit in uint128');
  const structHash = keccak256(concat([VOUCHER_TYPEHASH, v.channelId, numberToHex(v.cumulativeAmount, { size: 32 })]));
  return keccak256(concat(['0x1901', domainSeparator(v), structHash]));
}

/** viem signs deterministically (RFC 6979) and always with low s, the only form the contract takes. */
export function signVoucher(account: LocalAccount, v: Voucher): Promise<Hex> {
  return account.signTypedData(voucherTypedData(v));
}

export function recoverVoucherSigner(v: Voucher, signature: Hex): Address | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !/^0x[0-9a-fA-F]{64}$/.test(v.channelId)) return undefined;
  if (v.cumulativeAmount < 0n || v.cumulativeAmount > MAX_UINT128) return undefined;
  const sig = hexToBytes(signature);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const recid = sig[64] - 27;
  if (s === 0n || s > HALF_N || (recid !== 0 && recid !== 1)) return undefined;
  let pub: Uint8Array | null;
  try {
    pub = recover(hexToBytes(voucherDigest(v)), sig.subarray(0, 64), recid, false);
  } catch {
    return undefined; // r or s out of range, or no point for r: an invalid signature
  }
  if (!pub) return undefined;
  return getAddress(`0x${keccak256(pub.subarray(1)).slice(26)}`);
}
