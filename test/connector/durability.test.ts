import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connector } from '../../src/connector/connector';
import type { PeerLink } from '../../src/connector/peer-links';
import type { IlpPrepare } from '../../src/ilp';
import { balanceAccount, peerAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { createLogger } from '../../src/ops/logger';
import { Committer } from '../../src/storage/committer';
import { openDatabase, type Db } from '../../src/storage/database';

// The connector's promise: no Fulfill for money whose write was rolled back, no forwarding of an unrecorded transfer.
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'durability-'));
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'peer.sqlite'));
  dbs.push(db);
  const ledger = new Ledger(db);
  const committer = new Committer(db, path.join(dir, 'peer.sqlite-wal'), () => {});
  const peers = [
    { id: 'alice', token: 'a'.repeat(20), creditLimit: 1_000_000n, routes: [] },
    { id: 'bob', token: 'b'.repeat(20), creditLimit: 0n, routes: ['g.bob'] },
  ];
  const connector = new Connector({ ilpAddress: 'test.peer', assetCode: 'USD', assetScale: 9, maxPacketAmount: 10n ** 12n, peers }, ledger, committer, createLogger('silent'));
  return { ledger, committer, connector };
}

const fulfillment = randomBytes(32);
const prepare = (destination: string): IlpPrepare => ({
  amount: 100n,
  expiresAt: new Date(Date.now() + 10_000),
  executionCondition: createHash('sha256').update(fulfillment).digest(),
  destination,
  data: new Uint8Array(0),
});
const failingWrite = (committer: Committer) => () => {
  try {
    committer.run(() => {
      throw new Error('disk I/O error');
    });
  } catch {
    /* the turn is rolled back */
  }
};

describe('connector durability', () => {
  it('withdraws a Fulfill whose credit was rolled back with its turn', async () => {
    const { ledger, committer, connector } = setup();
    const pubkey = 'c'.repeat(64);
    connector.setLocalReceiver({
      accept: () => {
        queueMicrotask(failingWrite(committer)); // another write of the credit's turn fails
        return { account: balanceAccount(pubkey), amount: 100n, deliver: () => ({ fulfillment, data: new Uint8Array(0) }), refused: () => undefined };
      },
    });
    const reply = await connector.handlePrepare('alice', prepare('test.peer.token'));
    expect(reply).toMatchObject({ code: 'T00' });
    expect(ledger.available(balanceAccount(pubkey))).toBe(0n);
    expect(ledger.invariant().balanced).toBe(true);
  });

  // The upstream gives up at the Prepare's expiry: a credit that reached the disk after it is undone, R00.
  it('rejects R00 and undoes the credit when the Prepare expired during the durable wait', async () => {
    const { ledger, connector } = setup();
    const pubkey = 'd'.repeat(64);
    const p = prepare('test.peer.token');
    let credited: boolean | undefined;
    connector.setLocalReceiver({
      accept: () => {
        // the fsync takes past the expiry (after the credit is written)
        queueMicrotask(() => vi.spyOn(Date, 'now').mockReturnValue(p.expiresAt.getTime() + 1));
        return {
          account: balanceAccount(pubkey),
          amount: 100n,
          deliver: () => ((credited = true), { fulfillment, data: new Uint8Array(0) }),
          refused: () => (credited = false),
        };
      },
    });
    try {
      expect(await connector.handlePrepare('alice', p)).toMatchObject({ code: 'R00' });
    } finally {
      vi.restoreAllMocks();
    }
    expect(credited).toBe(false);
    expect(ledger.available(balanceAccount(pubkey))).toBe(0n);
    expect(ledger.balance(peerAccount('alice'))).toMatchObject({ debitsPosted: 100n, creditsPosted: 100n });
    expect(ledger.invariant()).toMatchObject({ posted: 0n, pending: 0n, balanced: true });
  });

  it('fulfills late, money kept, when a late credit was already spent and cannot be undone', async () => {
    const { ledger, committer, connector } = setup();
    const pubkey = 'e'.repeat(64);
    const p = prepare('test.peer.token');
    connector.setLocalReceiver({
      accept: () => {
        queueMicrotask(() => {
          // spent in the credit's turn (an event charged), before the expiry is seen
          committer.run(() => ledger.transfer({ debitAccount: balanceAccount(pubkey), creditAccount: 'revenue/relay-fees', amount: 60n }));
          vi.spyOn(Date, 'now').mockReturnValue(p.expiresAt.getTime() + 1);
        });
        return { account: balanceAccount(pubkey), amount: 100n, deliver: () => ({ fulfillment, data: new Uint8Array(0) }), refused: () => undefined };
      },
    });
    try {
      expect(await connector.handlePrepare('alice', p)).toMatchObject({ fulfillment });
    } finally {
      vi.restoreAllMocks();
    }
    expect(ledger.available(balanceAccount(pubkey))).toBe(40n);
    expect(ledger.invariant().balanced).toBe(true);
  });

  it('does not forward a packet whose pending transfer was rolled back', async () => {
    const { ledger, committer, connector } = setup();
    const sent: IlpPrepare[] = [];
    const link: PeerLink = { kind: 'btp', sendPrepare: async (p) => (sent.push(p), { fulfillment, data: new Uint8Array(0) }) };
    connector.links.add('bob', link);
    const pending = connector.handlePrepare('alice', prepare('g.bob.x'));
    queueMicrotask(failingWrite(committer)); // same turn as the pending transfer, before its commit
    expect(await pending).toMatchObject({ code: 'T00' });
    expect(sent).toEqual([]);
    expect(ledger.balance(peerAccount('alice'))?.debitsPending ?? 0n).toBe(0n);
  });

  // Two phases: the receiver's data is delivered only after the connector's credit is on disk, never after a refusal.
  it('delivers a local packet only once its credit is committed; a refused credit is never delivered', async () => {
    const { ledger, committer, connector } = setup();
    const pubkey = 'f'.repeat(64);
    const seen: string[] = [];
    connector.setLocalReceiver({
      accept: (p) => ({
        account: balanceAccount(pubkey),
        amount: p.amount,
        deliver: () => (seen.push(`deliver ${ledger.available(balanceAccount(pubkey))} after ${committer.commits} commits`), { fulfillment, data: new Uint8Array(0) }),
        refused: () => void seen.push('refused'),
      }),
    });
    expect(await connector.handlePrepare('alice', prepare('test.peer.token'))).toMatchObject({ fulfillment });
    const over = { ...prepare('test.peer.token'), amount: 2_000_000n }; // past alice's credit limit
    expect(await connector.handlePrepare('alice', over)).toMatchObject({ code: 'T04' });
    expect(seen).toEqual(['deliver 100 after 1 commits', 'refused']);
    expect(ledger.available(balanceAccount(pubkey))).toBe(100n);
    expect(ledger.invariant().balanced).toBe(true);
  });

  it('forwards, posts and answers when nothing fails', async () => {
    const { ledger, connector } = setup();
    connector.links.add('bob', { kind: 'btp', sendPrepare: async () => ({ fulfillment, data: new Uint8Array(0) }) });
    expect(await connector.handlePrepare('alice', prepare('g.bob.x'))).toMatchObject({ fulfillment });
    expect(ledger.balance(peerAccount('alice'))).toMatchObject({ debitsPosted: 100n, debitsPending: 0n });
  });

  it('refuses new packets with T03 while draining', async () => {
    const { connector } = setup();
    await connector.drain(10);
    expect(await connector.handlePrepare('alice', prepare('g.bob.x'))).toMatchObject({ code: 'T03' });
  });
});
