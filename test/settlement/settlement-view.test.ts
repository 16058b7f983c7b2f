import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { zeroAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelStore } from '../../src/settlement/channel-store';
import { settlementGauges, SettlementView } from '../../src/settlement/settlement-view';
import { openDatabase, type Db } from '../../src/storage/database';
import { MemoryChain } from '../helpers/memory-chain';

const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' as const;
let dir: string;
let db: Db;
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('settlement view', () => {
  it('shows each channel per peer and chain, and alerts when a close runs short with vouchers unredeemed', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'settle-view-'));
    db = openDatabase(path.join(dir, 'peer.sqlite'));
    const store = new ChannelStore(db);
    const chain = new MemoryChain(8453, 6n * 3600n);
    const me = privateKeyToAccount(generatePrivateKey());
    const chains = new Map([['base', chain.settlementChain(me, USDC)]]);
    const now = 1_900_000_000_000;
    const row = (id: string, direction: 'incoming' | 'outgoing', closeRequestedAt: bigint) => {
      const channelId = `0x${id.repeat(64)}` as const;
      store.insert(
        { channelId, chain: 'base', peer: 'b', direction, payer: me.address, payee: me.address, token: USDC, salt: `0x${'0'.repeat(64)}`, authorizedSigner: zeroAddress },
        { payer: me.address, payee: me.address, deposit: 10_000n, settled: 1000n, closeRequestedAt, finalized: false },
        now,
      );
      store.setBest(channelId, 2500n, `0x${'1'.repeat(130)}`);
    };
    row('a', 'incoming', 0n);
    // requested 5 h ago: 1 h left of a 6 h grace period, under the 3 h margin, 1,500 unredeemed
    row('b', 'incoming', BigInt(now / 1000 - 5 * 3600));
    row('c', 'outgoing', BigInt(now / 1000 - 3600));
    const view = new SettlementView(store, chains, () => now);
    const [a, b, c] = view.channels();
    expect(a).toMatchObject({ peer: 'b', chain: 'base', direction: 'incoming', deposit: '10000', bestVoucher: '2500', redeemed: '1000', unredeemed: '1500', confirmed: null, closeSecondsLeft: null, alert: false });
    expect(b).toMatchObject({ closeSecondsLeft: 3600, alert: true });
    expect(c).toMatchObject({ direction: 'outgoing', confirmed: '0', closeSecondsLeft: 5 * 3600, alert: false });

    const registry = new Registry();
    settlementGauges([registry], view);
    const text = await registry.metrics();
    // two incoming channels of one peering: summed
    expect(text).toContain('settlement_unredeemed{peer="b",chain="base",direction="incoming"} 3000');
    expect(text).toContain('settlement_close_seconds_left{peer="b",chain="base",direction="incoming"} 3600');
    expect(text).toContain('settlement_close_alert{peer="b",chain="base",direction="incoming"} 1');
    expect(text).toContain('settlement_close_seconds_left{peer="b",chain="base",direction="outgoing"} 18000');
  });
});
