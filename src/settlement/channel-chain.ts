import type { Address, Hex, LocalAccount } from 'viem';
import type { OnChainChannel } from './chain';
import type { ChannelScope } from './contract';

/**
 * The few calls settlement makes to the channel contract (contracts/StreamChannel.sol, the 2026 stream-channel
 * interface), named as the contract names them. The chain client (contract*.ts / chain*.ts) implements it over
 * JSON-RPC; tests use an in-memory implementation that enforces the contract's rules.
 */
export interface ChannelChain {
  readonly chainId: number;
  /** The channel contract. */
  readonly contract: Address;
  /** Seconds between a payer's requestClose and its withdraw: the payee's time to redeem. */
  readonly closeGracePeriod: bigint;
  /** `getChannel(channelId)` at the latest block; a channel that does not exist reads as all zero (payer 0x0). */
  getChannel(channelId: Hex): Promise<OnChainChannel>;
  /**
   * The same at the chain's confirmation depth, so an L2 reorg cannot take back a deposit a voucher was credited
   * against. Used to check vouchers; our own transactions' effects are read with getChannel. Absent: getChannel.
   */
  getConfirmedChannel?(channelId: Hex): Promise<OnChainChannel>;
  /** The latest block's timestamp (unix s): close deadlines are in chain time. */
  now(): Promise<bigint>;
  /** Each transaction resolves once mined and confirmed; a revert rejects. */
  open(payee: Address, token: Address, deposit: bigint, salt: Hex, authorizedSigner: Address): Promise<Tx & { channelId: Hex }>;
  topUp(channelId: Hex, additionalDeposit: bigint, token: Address, authorizedSigner: Address, salt: Hex): Promise<Tx>;
  settle(channelId: Hex, cumulativeAmount: bigint, signature: Hex, token: Address, authorizedSigner: Address, salt: Hex): Promise<Tx>;
  close(channelId: Hex, cumulativeAmount: bigint, signature: Hex, token: Address, authorizedSigner: Address, salt: Hex): Promise<Tx>;
  requestClose(channelId: Hex): Promise<Tx>;
  withdraw(channelId: Hex, token: Address, authorizedSigner: Address, salt: Hex): Promise<Tx>;
}

/** The contract's `Channel` struct, as the chain client reads it. */
export type { OnChainChannel } from './chain';

export interface Tx {
  hash: Hex;
  /** The receipt's gas used and its fee (gasUsed × effective gas price, wei), when the chain client knows them. */
  gasUsed?: bigint;
  fee?: bigint;
}

/** One chain as settlement uses it: the contract, our key on it, and the token channels are in. */
export interface SettlementChain {
  /** The lowercase name peers' `settlement.chain` refers to (`base`, `cronos`). */
  name: string;
  chain: ChannelChain;
  /** Our dedicated EVM key: the payer of our channels, the payee of the peers'. */
  account: LocalAccount;
  /** The ERC-20 of the channels (USDC); the zero address is the chain's native coin. */
  token: Address;
  /** The token's decimals (USDC: 6). */
  tokenScale: number;
}

/** The deployment a settlement chain's vouchers are bound to (the EIP-712 domain's chain id and contract). */
export const scopeOf = (c: SettlementChain): ChannelScope => ({ chainId: c.chain.chainId, contract: c.chain.contract });
