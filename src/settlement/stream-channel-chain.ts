import type { Address, Hex } from 'viem';
import type { ChannelChain, OnChainChannel, Tx } from './channel-chain';

/** What a channel id is made of (the chain client's ChannelKey). */
interface ChannelKeyLike {
  payer: Address;
  payee: Address;
  token: Address;
  salt: Hex;
  authorizedSigner: Address;
}

/**
 * The chain client's `StreamChannelClient` (./chain.ts), as far as settlement uses it: declared here by shape so
 * that this adapter does not depend on how the client is built.
 */
export interface StreamChannelClientLike {
  readonly scope: { chainId: number; contract: Address };
  readonly clients: { public: { getBlock(args: { blockTag: 'latest' }): Promise<{ timestamp: bigint }> } };
  getChannel(channelId: Hex): Promise<OnChainChannel | undefined>;
  open(p: { payee: Address; token: Address; deposit: bigint; salt?: Hex; authorizedSigner?: Address }): Promise<{ channelId: Hex; tx: Tx }>;
  topUp(key: ChannelKeyLike, amount: bigint): Promise<Tx>;
  settle(key: ChannelKeyLike, cumulativeAmount: bigint, signature: Hex): Promise<Tx>;
  close(key: ChannelKeyLike, cumulativeAmount: bigint, signature: Hex): Promise<Tx>;
  requestClose(channelId: Hex): Promise<Tx>;
  withdraw(key: ChannelKeyLike): Promise<Tx>;
}

const NONE: OnChainChannel = {
  payer: '0x0000000000000000000000000000000000000000',
  payee: '0x0000000000000000000000000000000000000000',
  deposit: 0n,
  settled: 0n,
  closeRequestedAt: 0n,
  finalized: false,
};

/**
 * ChannelChain over the real contract. The client's calls take the channel's key (payer and payee too), which
 * the contract functions do not: they are read from the channel first (one more read per transaction).
 */
export function streamChannelChain(client: StreamChannelClientLike, closeGracePeriod: bigint): ChannelChain {
  const keyOf = async (channelId: Hex, token: Address, authorizedSigner: Address, salt: Hex): Promise<ChannelKeyLike> => {
    const c = await client.getChannel(channelId);
    if (!c) throw new Error(`channel ${channelId} is not on chain`);
    return { payer: c.payer, payee: c.payee, token, salt, authorizedSigner };
  };
  return {
    chainId: client.scope.chainId,
    contract: client.scope.contract,
    closeGracePeriod,
    getChannel: async (id) => (await client.getChannel(id)) ?? NONE,
    now: async () => (await client.clients.public.getBlock({ blockTag: 'latest' })).timestamp,
    open: async (payee, token, deposit, salt, authorizedSigner) => {
      const r = await client.open({ payee, token, deposit, salt, authorizedSigner });
      return { hash: r.tx.hash, channelId: r.channelId };
    },
    topUp: async (id, amount, token, signer, salt) => client.topUp(await keyOf(id, token, signer, salt), amount),
    settle: async (id, cumulative, signature, token, signer, salt) => client.settle(await keyOf(id, token, signer, salt), cumulative, signature),
    close: async (id, cumulative, signature, token, signer, salt) => client.close(await keyOf(id, token, signer, salt), cumulative, signature),
    requestClose: (id) => client.requestClose(id),
    withdraw: async (id, token, signer, salt) => client.withdraw(await keyOf(id, token, signer, salt)),
  };
}
