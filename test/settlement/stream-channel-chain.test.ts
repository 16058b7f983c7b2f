import { describe, expect, it } from 'vitest';
import type { Address, Hex } from 'viem';
import type { OnChainChannel } from '../../src/settlement/channel-chain';
import { streamChannelChain, type StreamChannelClientLike } from '../../src/settlement/stream-channel-chain';

// The adapter over the chain client, with a recording stand-in (real-contract.test.ts drives the real one).
const PAYER = '0x00000000000000000000000000000000000000aa' as Address;
const PAYEE = '0x00000000000000000000000000000000000000bb' as Address;
const TOKEN = '0x00000000000000000000000000000000000000cc' as Address;
const ID = `0x${'12'.repeat(32)}` as Hex;
const SALT = `0x${'34'.repeat(32)}` as Hex;
const channel: OnChainChannel = { payer: PAYER, payee: PAYEE, deposit: 100n, settled: 5n, closeRequestedAt: 0n, finalized: false };

function fake() {
  const calls: unknown[][] = [];
  const client: StreamChannelClientLike = {
    scope: { chainId: 8453, contract: '0x00000000000000000000000000000000000000dd' },
    clients: {
      public: {
        getBlock: async () => ({ timestamp: 1234n }),
        getBlockNumber: async () => 100n,
        readContract: async (args) => {
          calls.push(['readContract', args.functionName, args.args[0], args.blockNumber]);
          return channel;
        },
      },
    },
    getChannel: async (id) => (id === ID ? channel : undefined),
    open: async (p) => {
      calls.push(['open', p]);
      return { channelId: ID, tx: { hash: '0x01' } };
    },
    topUp: async (key, amount) => (calls.push(['topUp', key, amount]), { hash: '0x02' }),
    settle: async (key, cumulative, sig) => (calls.push(['settle', key, cumulative, sig]), { hash: '0x03' }),
    close: async (key, cumulative, sig) => (calls.push(['close', key, cumulative, sig]), { hash: '0x04' }),
    requestClose: async (id) => (calls.push(['requestClose', id]), { hash: '0x05' }),
    withdraw: async (key) => (calls.push(['withdraw', key]), { hash: '0x06' }),
  };
  return { client, calls };
}

describe('streamChannelChain', () => {
  it('checks vouchers against the channel `confirmations` blocks back, and reads its own effects at the latest block', async () => {
    const { client, calls } = fake();
    const chain = streamChannelChain(client, 21_600n, 3);
    expect(chain).toMatchObject({ chainId: 8453, contract: client.scope.contract, closeGracePeriod: 21_600n });
    expect(await chain.getConfirmedChannel!(ID)).toEqual(channel);
    expect(calls).toEqual([['readContract', 'getChannel', ID, 97n]]);
    expect(await chain.getChannel(ID)).toEqual(channel);
    expect((await chain.getChannel(SALT)).payer).toBe('0x0000000000000000000000000000000000000000');
    expect(await chain.now()).toBe(1234n);
  });

  it('passes the contract functions with the channel key the client needs', async () => {
    const { client, calls } = fake();
    const chain = streamChannelChain(client, 1n);
    const key = { payer: PAYER, payee: PAYEE, token: TOKEN, salt: SALT, authorizedSigner: '0x0000000000000000000000000000000000000000' };
    expect(await chain.open(PAYEE, TOKEN, 100n, SALT, key.authorizedSigner as Address)).toEqual({ hash: '0x01', channelId: ID });
    await chain.topUp(ID, 7n, TOKEN, key.authorizedSigner as Address, SALT);
    await chain.settle(ID, 9n, '0xabcd', TOKEN, key.authorizedSigner as Address, SALT);
    await chain.close(ID, 10n, '0xabcd', TOKEN, key.authorizedSigner as Address, SALT);
    await chain.requestClose(ID);
    await chain.withdraw(ID, TOKEN, key.authorizedSigner as Address, SALT);
    expect(calls).toEqual([
      ['open', { payee: PAYEE, token: TOKEN, deposit: 100n, salt: SALT, authorizedSigner: key.authorizedSigner }],
      ['topUp', key, 7n],
      ['settle', key, 9n, '0xabcd'],
      ['close', key, 10n, '0xabcd'],
      ['requestClose', ID],
      ['withdraw', key],
    ]);
    await expect(chain.settle(SALT, 9n, '0xabcd', TOKEN, key.authorizedSigner as Address, SALT)).rejects.toThrow('is not on chain');
  });
});
