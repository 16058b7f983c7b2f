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
  readonly clients: {
    public: {
      getBlock(args: { blockTag: 'latest' }): Promise<{ timestamp: bigint }>;
      getBlockNumber(): Promise<bigint>;
      readContract(args: { address: Address; abi: typeof GET_CHANNEL_ABI; functionName: 'getChannel'; args: readonly [Hex]; blockNumber: bigint }): Promise<OnChainChannel & { closeRequestedAt: bigint }>;
    };
  };
  getChannel(channelId: Hex): Promise<OnChainChannel | undefined>;
  open(p: { payee: Address; token: Address; deposit: bigint; salt?: Hex; authorizedSigner?: Address }): Promise<{ channelId: Hex; tx: Tx }>;
  topUp(key: ChannelKeyLike, amount: bigint): Promise<Tx>;
  settle(key: ChannelKeyLike, cumulativeAmount: bigint, signature: Hex): Promise<Tx>;
  close(key: ChannelKeyLike, cumulativeAmount: bigint, signature: Hex): Promise<Tx>;
  requestClose(channelId: Hex): Promise<Tx>;
  withdraw(key: ChannelKeyLike): Promise<Tx>;
}

/** The contract's `getChannel` view (its Channel struct, in the contract's field order). */
export const GET_CHANNEL_ABI = [
  {
    type: 'function',
    name: 'getChannel',
    stateMutability: 'view',
    inputs: [{ name: 'channelId', type: 'bytes32' }],
    outputs: [
      {
        name: '',
        type: 'tuple',
        components: [
          { name: 'payer', type: 'address' },
          { name: 'closeRequestedAt', type: 'uint64' },
          { name: 'finalized', type: 'bool' },
          { name: 'payee', type: 'address' },
          { name: 'deposit', type: 'uint128' },
          { name: 'settled', type: 'uint128' },
        ],
      },
    ],
  },
] as const;

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
 * the contract functions do not: they are read from the channel first (one more read per transaction). Vouchers
 * are checked against the channel `confirmations` blocks back (SETTLEMENT_<CHAIN>_CONFIRMATIONS).
 */
export function streamChannelChain(client: StreamChannelClientLike, closeGracePeriod: bigint, confirmations = 0): ChannelChain {
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
    getConfirmedChannel: async (id) => {
      const latest = await client.clients.public.getBlockNumber();
      const blockNumber = latest > BigInt(confirmations) ? latest - BigInt(confirmations) : 0n;
      const c = await client.clients.public.readContract({ address: client.scope.contract, abi: GET_CHANNEL_ABI, functionName: 'getChannel', args: [id], blockNumber });
      const { payer, payee, deposit, settled, closeRequestedAt, finalized } = c;
      return { payer, payee, deposit, settled, closeRequestedAt, finalized };
    },
    now: async () => (await client.clients.public.getBlock({ blockTag: 'latest' })).timestamp,
    open: async (payee, token, deposit, salt, authorizedSigner) => {
      const r = await client.open({ payee, token, deposit, salt, authorizedSigner });
      return { ...r.tx, channelId: r.channelId };
    },
    topUp: async (id, amount, token, signer, salt) => client.topUp(await keyOf(id, token, signer, salt), amount),
    settle: async (id, cumulative, signature, token, signer, salt) => client.settle(await keyOf(id, token, signer, salt), cumulative, signature),
    close: async (id, cumulative, signature, token, signer, salt) => client.close(await keyOf(id, token, signer, salt), cumulative, signature),
    requestClose: (id) => client.requestClose(id),
    withdraw: async (id, token, signer, salt) => client.withdraw(await keyOf(id, token, signer, salt)),
  };
}
