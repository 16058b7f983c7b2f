import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Abi, Address, PublicClient } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { IlpPacketType } from '../../src/ilp';
import { streamChannelChain, type StreamChannelClientLike } from '../../src/settlement/stream-channel-chain';
import { TwoPeers } from './two-peers';

// The two peers of two-peers.test.ts on the real StreamChannel contract in Hardhat's in-process EVM, through the
// chain client (src/settlement/chain.ts, the contract engineer's). Skipped where that client is not in the tree.
const helperFile = path.join(__dirname, 'helpers/chain.ts');
const available = existsSync(helperFile) && existsSync(path.join(__dirname, '../../src/settlement/chain.ts'));

interface TestChainLike {
  public: PublicClient;
  account(n: number): Promise<PrivateKeyAccount>;
  deployChannel(graceSeconds: number, deployer: PrivateKeyAccount): Promise<Address>;
  channelClient(account: PrivateKeyAccount, address: Address): Promise<StreamChannelClientLike>;
  deployFixture(name: 'TestToken', deployer: PrivateKeyAccount): Promise<Address>;
  fixtureAbi(name: string): Abi;
  clients(account: PrivateKeyAccount): Promise<{ wallet?: { writeContract(args: unknown): Promise<`0x${string}`> } }>;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
}

const GRACE = 6 * 3600;
const t = new TwoPeers();
let evm: TestChainLike;
let token: Address;
let contract: Address;
const balance = (who: Address) => evm.public.readContract({ address: token, abi: evm.fixtureAbi('TestToken'), functionName: 'balanceOf', args: [who] }) as Promise<bigint>;

describe.skipIf(!available)('settling between two peers on the real contract', () => {
  beforeAll(async () => {
    const { startChain } = (await import(/* @vite-ignore */ helperFile)) as { startChain(): Promise<TestChainLike> };
    evm = await startChain();
    const deployer = await evm.account(40);
    t.keyA = await evm.account(41);
    t.keyB = await evm.account(42);
    token = await evm.deployFixture('TestToken', deployer);
    contract = await evm.deployChannel(GRACE, deployer);
    for (const k of [t.keyA, t.keyB]) {
      const c = await evm.clients(k);
      const hash = await c.wallet!.writeContract({ address: token, abi: evm.fixtureAbi('TestToken'), functionName: 'mint', args: [k.address, 1_000_000_000n], account: k, chain: null });
      await evm.public.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    }
    // vouchers are checked 2 blocks deep (SETTLEMENT_<CHAIN>_CONFIRMATIONS)
    const chainOf = async (k: PrivateKeyAccount) => ({ name: 'base', chain: streamChannelChain(await evm.channelClient(k, contract), BigInt(GRACE), 2), account: k, token, tokenScale: 6 });
    t.chains = { a: await chainOf(t.keyA), b: await chainOf(t.keyB) };
    await Promise.all([t.startA(), t.startB()]);
    await t.link();
    await t.clients();
  }, 60_000);
  afterAll(async () => {
    await t.stop();
    t.cleanup();
  });

  it('A pays B and B pays A with vouchers; the tokens moved on chain equal the ledger positions', async () => {
    const a0 = await balance(t.keyA.address);
    const b0 = await balance(t.keyB.address);
    expect(await t.pay('alice', 1_200_001n)).toBe(IlpPacketType.Fulfill);
    // A opened its channel, but until 2 blocks are on top of it B does not take vouchers on it
    await vi.waitFor(() => expect(t.books('a').settlement).toBe(-1_200_000n), { timeout: 20_000, interval: 50 });
    await new Promise((r) => setTimeout(r, 800));
    expect(t.books('b').settlement).toBe(0n);
    const mining = setInterval(() => void evm.rpc('evm_mine'), 100);
    try {
      await vi.waitFor(async () => expect(await balance(t.keyB.address)).toBe(b0 + 1200n), { timeout: 20_000, interval: 100 });
    } finally {
      clearInterval(mining);
    }
    expect(t.books('a')).toEqual({ peerOwes: -1n, settlement: -1_200_000n, sum: 0n });
    expect(t.books('b')).toEqual({ peerOwes: 1n, settlement: 1_200_000n, sum: 0n });
    // A locked its deposit (10 × threshold) in the contract; B took 1,200 of it
    expect(await balance(t.keyA.address)).toBe(a0 - 10_000n);
    expect(await balance(contract)).toBe(10_000n - 1200n);

    expect(await t.pay('bob', 3_500_000n)).toBe(IlpPacketType.Fulfill);
    const mining2 = setInterval(() => void evm.rpc('evm_mine'), 100);
    try {
      await vi.waitFor(async () => expect(await balance(t.keyA.address)).toBe(a0 - 10_000n + 3499n), { timeout: 20_000, interval: 100 });
    } finally {
      clearInterval(mining2);
    }
    expect(t.books('b')).toEqual({ peerOwes: -999n, settlement: 1_200_000n - 3_499_000n, sum: 0n });
    expect(t.books('a')).toEqual({ peerOwes: 999n, settlement: -1_200_000n + 3_499_000n, sum: 0n });
    // each ledger's settlements are its tokens gained on chain plus what it can still take back from its own
    // channel (deposit − redeemed by the peer)
    expect(t.books('b').settlement).toBe(((await balance(t.keyB.address)) - b0 + (10_000n - 3499n)) * 1000n);
    expect(t.books('a').settlement).toBe(((await balance(t.keyA.address)) - a0 + (10_000n - 1200n)) * 1000n);
  });
});
