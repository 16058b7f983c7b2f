import { afterEach, describe, expect, it, vi } from 'vitest';
import { IlpPacketType } from '../../src/ilp';
import type { ChannelChain } from '../../src/settlement/channel-chain';
import { TwoPeers } from './two-peers';

// No money lost or counted twice when a peer dies at the worst moments. A "crash" here is a hook that fails at
// that point after everything before it reached the disk (the debtor awaits the commit's fsync before sending),
// then a restart on the same DATA_DIR: what kill -9 would leave behind.
let t: TwoPeers;
afterEach(async () => {
  await t.stop();
  t.cleanup();
});

const up = async (x: TwoPeers) => {
  await x.link();
  await x.clients();
};

describe('settlement faults', () => {
  it('a voucher stored but never sent is sent after the restart, and credited once', async () => {
    t = new TwoPeers();
    let crashed = 0;
    await Promise.all([
      t.startA({
        beforeVoucherSend: async () => {
          crashed++;
          await t.unlink(); // the process is gone: no link, no next tick to resend
          throw new Error('killed');
        },
      }),
      t.startB(),
    ]);
    await up(t);
    for (let i = 0; i < 3; i++) expect(await t.pay('alice', 500_000n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(crashed).toBe(1), { timeout: 10_000, interval: 20 });
    // A recorded the payment with the voucher; B has not seen it
    expect(t.books('a')).toEqual({ peerOwes: 0n, settlement: -1_500_000n, sum: 0n });
    expect(t.books('b')).toEqual({ peerOwes: 1_500_000n, settlement: 0n, sum: 0n });
    await t.a.stop();
    await t.startA();
    await t.link();
    await vi.waitFor(() => expect(t.books('b').settlement).toBe(1_500_000n), { timeout: 10_000, interval: 50 });
    expect(t.books('b')).toEqual({ peerOwes: 0n, settlement: 1_500_000n, sum: 0n });
    // and again on a reconnect: harmless, B already holds it
    await t.unlink();
    await t.link();
    await new Promise((r) => setTimeout(r, 400));
    expect(t.books('b')).toEqual({ peerOwes: 0n, settlement: 1_500_000n, sum: 0n });
    expect(t.books('a')).toEqual({ peerOwes: 0n, settlement: -1_500_000n, sum: 0n });
    const [ch] = t.chain.channels.values();
    expect(ch.settled).toBe(1500n);
  });

  it('a redeem that reached the chain but not the database is not repeated after the restart', async () => {
    t = new TwoPeers();
    let settles = 0;
    t.wrapChain.b = (c: ChannelChain): ChannelChain => ({
      ...c,
      getChannel: c.getChannel.bind(c),
      now: c.now.bind(c),
      async settle(...args) {
        await c.settle(...args);
        settles++;
        if (settles === 1) throw new Error('killed before recording');
        return { hash: '0x01' };
      },
    });
    await Promise.all([t.startA(), t.startB()]);
    await up(t);
    for (let i = 0; i < 3; i++) expect(await t.pay('alice', 500_000n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(settles).toBe(1), { timeout: 10_000, interval: 20 });
    const [ch] = t.chain.channels.values();
    expect(ch.settled).toBe(1500n);
    await t.b.stop();
    t.wrapChain.b = undefined;
    const before = t.chain.balanceOf(t.keyB.address);
    await t.startB();
    await t.link();
    await new Promise((r) => setTimeout(r, 600));
    expect(settles).toBe(1);
    expect(t.chain.balanceOf(t.keyB.address)).toBe(before);
    expect(t.books('b')).toEqual({ peerOwes: 0n, settlement: 1_500_000n, sum: 0n });
    expect(t.books('a')).toEqual({ peerOwes: 0n, settlement: -1_500_000n, sum: 0n });
  });

  it('a payer asking to close while the creditor is stopped: the creditor redeems on restart, inside the grace period', async () => {
    // B redeems only past 5,000,000 (5,000 USDC units): the 1,200 it holds stay unredeemed until the close
    t = new TwoPeers({ redeemThreshold: '5000000' });
    await Promise.all([t.startA(), t.startB()]);
    await up(t);
    for (let i = 0; i < 2; i++) expect(await t.pay('alice', 600_000n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(t.books('b').settlement).toBe(1_200_000n), { timeout: 10_000, interval: 50 });
    const [[id, ch]] = [...t.chain.channels.entries()];
    expect(ch.settled).toBe(0n);
    await t.unlink();
    await t.b.stop();
    const startA = t.chain.balanceOf(t.keyA.address);
    const startB = t.chain.balanceOf(t.keyB.address);
    await t.chain.client(t.keyA.address).requestClose(id as `0x${string}`);
    t.chain.time += t.chain.closeGracePeriod - 3600n; // an hour of the grace period left
    await t.startB();
    await vi.waitFor(() => expect(ch.finalized).toBe(true), { timeout: 10_000, interval: 50 });
    expect(ch.settled).toBe(1200n);
    expect(t.chain.balanceOf(t.keyB.address) - startB).toBe(1200n);
    expect(t.chain.balanceOf(t.keyA.address) - startA).toBe(10_000n - 1200n);
    expect(t.chain.balanceOf(t.chain.contract)).toBe(0n);
    // A cannot take back what B redeemed
    await expect(t.chain.client(t.keyA.address).withdraw(id as `0x${string}`, ch.token, ch.authorizedSigner, '0x' as `0x${string}`)).rejects.toThrow('ChannelFinalized');
    expect(t.books('b')).toEqual({ peerOwes: 0n, settlement: 1_200_000n, sum: 0n });
    expect(t.books('a')).toEqual({ peerOwes: 0n, settlement: -1_200_000n, sum: 0n });
    // the next debt opens a new channel: the closed one is finalized
    await up(t);
    expect(await t.pay('alice', 1_000_001n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(t.books('b').settlement).toBe(2_200_000n), { timeout: 10_000, interval: 50 });
    expect(t.chain.channels.size).toBe(2);
  });

  it('a creditor down past the whole grace period: the payer withdraws, and both books take the unredeemed vouchers back', async () => {
    t = new TwoPeers({ redeemThreshold: '5000000' });
    await Promise.all([t.startA(), t.startB()]);
    await up(t);
    for (let i = 0; i < 2; i++) expect(await t.pay('alice', 600_000n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(t.books('b').settlement).toBe(1_200_000n), { timeout: 10_000, interval: 50 });
    const [[id, ch]] = [...t.chain.channels.entries()];
    await t.unlink();
    await t.b.stop();
    const startA = t.chain.balanceOf(t.keyA.address);
    const payer = t.chain.client(t.keyA.address);
    await payer.requestClose(id as `0x${string}`);
    t.chain.time += t.chain.closeGracePeriod + 1n;
    await payer.withdraw(id as `0x${string}`, ch.token, ch.authorizedSigner, '0x' as `0x${string}`);
    expect(t.chain.balanceOf(t.keyA.address) - startA).toBe(10_000n);
    // A reads the channel on its next round: the 1,200 it signed were never redeemed, so it owes them again
    await vi.waitFor(() => expect(t.books('a')).toEqual({ peerOwes: -1_200_000n, settlement: 0n, sum: 0n }), { timeout: 10_000, interval: 50 });
    await t.startB();
    await vi.waitFor(() => expect(t.books('b')).toEqual({ peerOwes: 1_200_000n, settlement: 0n, sum: 0n }), { timeout: 10_000, interval: 50 });
    expect(t.chain.balanceOf(t.keyB.address)).toBe(1_000_000_000n);
  });
});
