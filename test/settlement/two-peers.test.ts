import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IlpPacketType } from '../../src/ilp';
import { openFile } from '../../src/ops/backup/sqlite-file';
import { databaseFile } from '../../src/peer/database-file';
import { readChannels } from '../../src/settlement/channel-store';
import { PER_TOKEN, TwoPeers } from './two-peers';

// Two peers BTP-linked, each with its channel to the other on one (in-memory) chain: packets flow both ways,
// the debtor's vouchers follow its threshold, the creditor redeems, and the books match the chain to the unit.
const t = new TwoPeers();

beforeAll(async () => {
  await Promise.all([t.startA(), t.startB()]);
  await t.link();
  await t.clients();
});
afterAll(async () => {
  await t.stop();
  t.cleanup();
});

const channels = () => [...t.chain.channels.values()];

describe('settling between two peers', () => {
  it('A pays B with vouchers once A owes more than the threshold; B redeems; the books agree with the chain', async () => {
    const startA = t.chain.balanceOf(t.keyA.address);
    const startB = t.chain.balanceOf(t.keyB.address);
    // 900,000 owed: under the threshold of 1,000,000, nothing moves
    for (let i = 0; i < 3; i++) expect(await t.pay('alice', 300_000n)).toBe(IlpPacketType.Fulfill);
    await new Promise((r) => setTimeout(r, 500));
    expect(channels()).toHaveLength(0);
    expect(t.books('a').peerOwes).toBe(-900_000n);
    // past it: A opens a channel (deposit 10 × threshold), signs 1,200 USDC units, B holds and redeems them
    expect(await t.pay('alice', 300_001n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(channels()[0]?.settled).toBe(1200n), { timeout: 10_000, interval: 50 });
    const [ch] = channels();
    expect(ch.payer).toBe(t.keyA.address);
    expect(ch.payee).toBe(t.keyB.address);
    expect(ch.deposit).toBe(10_000n);
    // the sub-unit 1 left over stays owed in the ledger, never rounded away
    expect(t.books('a')).toEqual({ peerOwes: -1n, settlement: -1_200_000n, sum: 0n });
    expect(t.books('b')).toEqual({ peerOwes: 1n, settlement: 1_200_000n, sum: 0n });
    expect(t.chain.balanceOf(t.keyA.address)).toBe(startA - 10_000n);
    expect(t.chain.balanceOf(t.keyB.address) - startB).toBe(1200n);
    expect(t.chain.balanceOf(t.keyB.address) - startB).toBe(t.books('b').settlement / PER_TOKEN);
  });

  it('B pays A the other way on its own channel; positions stay mirror images and both ledgers sum to zero', async () => {
    const before = t.chain.balanceOf(t.keyA.address);
    // one packet: a tick between smaller ones could settle part of it first
    expect(await t.pay('bob', 3_500_000n)).toBe(IlpPacketType.Fulfill);
    // B owed A 3,500,000 − 1 = 3,499,999: a voucher of 3,499 USDC units leaves 999 owed
    await vi.waitFor(() => expect(channels().find((c) => c.payer === t.keyB.address)?.settled).toBe(3499n), { timeout: 10_000, interval: 50 });
    expect(t.books('b')).toEqual({ peerOwes: -999n, settlement: 1_200_000n - 3_499_000n, sum: 0n });
    expect(t.books('a')).toEqual({ peerOwes: 999n, settlement: -1_200_000n + 3_499_000n, sum: 0n });
    expect(t.chain.balanceOf(t.keyA.address) - before).toBe(3499n);
  });

  it('a second voucher on the same channel carries only the increase', async () => {
    expect(await t.pay('alice', 2_000_000n)).toBe(IlpPacketType.Fulfill);
    // A owed 2,000,000 − 999 = 1,999,001 → 1,999 more USDC units on its channel (cumulative 3,199)
    const ch = () => channels().find((c) => c.payer === t.keyA.address)!;
    await vi.waitFor(() => expect(ch().settled).toBe(3199n), { timeout: 10_000, interval: 50 });
    expect(t.books('a')).toEqual({ peerOwes: -1n, settlement: -3_199_000n + 3_499_000n, sum: 0n });
    expect(t.books('b')).toEqual({ peerOwes: 1n, settlement: 3_199_000n - 3_499_000n, sum: 0n });
    // the contract holds exactly what is locked and unredeemed
    const held = channels().reduce((s, c) => s + (c.finalized ? 0n : c.deposit - c.settled), 0n);
    expect(t.chain.balanceOf(t.chain.contract)).toBe(held);
  });

  it('tops the channel up once less than one more settlement is left in its deposit', async () => {
    const ch = () => channels().find((c) => c.payer === t.keyA.address)!;
    expect(await t.pay('alice', 3_000_000n)).toBe(IlpPacketType.Fulfill);
    await vi.waitFor(() => expect(ch().settled).toBe(6199n), { timeout: 10_000, interval: 50 });
    expect(ch().deposit).toBe(10_000n);
    expect(await t.pay('alice', 3_000_000n)).toBe(IlpPacketType.Fulfill);
    // 9,199 of 10,000 used: 801 left, under the threshold's 1,000 → another deposit of 10,000
    await vi.waitFor(() => expect(ch().deposit).toBe(20_000n), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(ch().settled).toBe(9199n), { timeout: 10_000, interval: 50 });
    expect(t.books('a')).toEqual({ peerOwes: -1n, settlement: -9_199_000n + 3_499_000n, sum: 0n });
    expect(t.books('b')).toEqual({ peerOwes: 1n, settlement: 9_199_000n - 3_499_000n, sum: 0n });
  });

  it("records the gas of each peer's own channel transactions: the payer's open and topUp, the payee's settles", async () => {
    const gas = (dir: string) => {
      const db = openFile(databaseFile(dir), { readonly: true });
      try {
        return Object.fromEntries(readChannels(db, 'base').map((r) => [r.direction, { gasUsed: r.gasUsed, fees: r.fees }]));
      } finally {
        db.close();
      }
    };
    const spent = (txs: bigint) => ({ gasUsed: txs * t.chain.gasPerTx, fees: txs * t.chain.gasPerTx * t.chain.gasPrice });
    // A: opened its channel and topped it up once; redeemed B's voucher once. B: opened; redeemed A's four vouchers.
    await vi.waitFor(() => expect(gas(t.dirA)).toEqual({ outgoing: spent(2n), incoming: spent(1n) }), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(gas(t.dirB)).toEqual({ outgoing: spent(1n), incoming: spent(4n) }), { timeout: 10_000, interval: 50 });
  });

  it('shows the channels on the dashboard and in the metrics, per peer, chain and direction', async () => {
    const auth = { authorization: `Basic ${Buffer.from('operator:settle-dashboard-password').toString('base64')}` };
    // B reads A's channel (now topped up) on its next round
    await vi.waitFor(
      async () => {
        const summary = (await (await fetch(`${t.b.httpUrl}/dashboard/api/summary`, { headers: auth })).json()) as { settlement: Record<string, unknown>[] };
        expect(summary.settlement).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ peer: 'a', chain: 'base', direction: 'incoming', deposit: '20000', bestVoucher: '9199', redeemed: '9199', unredeemed: '0', closeSecondsLeft: null, alert: false }),
            expect.objectContaining({ peer: 'a', chain: 'base', direction: 'outgoing', bestVoucher: '3499', confirmed: '3499', lastTx: expect.stringMatching(/^0x/) }),
          ]),
        );
      },
      { timeout: 10_000, interval: 100 },
    );
    const metrics = await (await fetch(`${t.a.httpUrl}/metrics`)).text();
    expect(metrics).toContain('settlement_voucher_best{peer="b",chain="base",direction="outgoing"} 9199');
    expect(metrics).toContain('settlement_redeemed{peer="b",chain="base",direction="incoming"} 3499');
    const page = await fetch(`${t.a.httpUrl}/dashboard/settlement.js`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await (await fetch(`${t.a.httpUrl}/dashboard/`, { headers: auth })).text()).toContain('id="t-settlement"');
  });
});
