import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { parseFilter } from '../../src/nostr/filter';
import { createLogger } from '../../src/ops/logger';
import { openDatabase } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { relayKey, VANISH_BATCH } from '../../src/storage/vanish';
import { startVanishPurge } from '../../src/storage/vanish-purge';

const dir = mkdtempSync(path.join(tmpdir(), 'vanish-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (n: number) => n.toString(16).padStart(64, '0');
const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const ev = (n: number, patch: Partial<NostrEvent> = {}): NostrEvent => ({
  id: hex(n),
  pubkey: ALICE,
  created_at: 1_700_000_000 + n,
  kind: 1,
  tags: [['t', 'x']],
  content: `note ${n}`,
  sig: '0'.repeat(128),
  ...patch,
});

describe('request to vanish in storage', () => {
  it('deletes one batch with the request; the purge deletes the rest, also after a restart that interrupted it', async () => {
    const file = path.join(dir, 'peer.sqlite');
    const total = 2 * VANISH_BATCH + 50;
    let db = openDatabase(file);
    let store = new EventStore(db);
    db.transaction(() => {
      for (let i = 1; i <= total; i++) store.insert(ev(i), canonicalJson(ev(i)));
      store.insert(ev(total + 1, { pubkey: BOB }), canonicalJson(ev(total + 1, { pubkey: BOB })));
    })();
    const request = ev(total + 10, { kind: 62, tags: [['relay', 'ALL_RELAYS']], content: '' });
    let backlog = 0;
    store.onVanishBacklog = () => backlog++;
    expect(db.transaction(() => store.insert(request, canonicalJson(request)))()).toEqual({ status: 'stored' });
    const count = () => db.prepare('SELECT count(*) FROM events WHERE pubkey = ?').pluck().get(ALICE) as number;
    expect(backlog).toBe(1);
    expect(count()).toBe(total - VANISH_BATCH + 1);
    // a stop before the purge ran: the backlog is in the database, not in memory
    db.close();

    db = openDatabase(file);
    store = new EventStore(db);
    expect(store.insert(ev(3), canonicalJson(ev(3)))).toEqual({ status: 'rejected', message: 'blocked: this pubkey asked to vanish from this relay (NIP-62)' });
    // not yet deleted, already not served: only the request of the vanishing pubkey; another pubkey's events as ever
    const byAuthor = (pubkey: string) => {
      const parsed = parseFilter({ authors: [pubkey] }, { maxLimit: 5000, maxValues: 1000 });
      if (!parsed.ok) throw new Error(parsed.reason);
      return store.query([parsed.filter], 5000);
    };
    expect(count()).toBeGreaterThan(1);
    expect(byAuthor(ALICE)).toEqual([canonicalJson(request)]);
    expect(byAuthor(BOB)).toHaveLength(1);
    const stop = startVanishPurge(db, store, createLogger('silent'));
    for (let i = 0; count() > 1; i++) {
      expect(i).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop();
    expect(db.prepare('SELECT id FROM events WHERE pubkey = ?').pluck().all(ALICE)).toEqual([request.id]);
    expect(db.prepare('SELECT count(*) FROM events WHERE pubkey = ?').pluck().get(BOB)).toBe(1);
    expect(db.prepare('SELECT count(*) FROM tags WHERE seq NOT IN (SELECT seq FROM events)').pluck().get()).toBe(0);
    expect(db.prepare('SELECT purging FROM vanished WHERE pubkey = ?').pluck().get(ALICE)).toBe(0);
    db.close();
  });

  it('compares relay URLs by host, port and path; ws and wss alike', () => {
    expect(relayKey('WSS://Relay.Example/')).toBe('relay.example');
    expect(relayKey('ws://relay.example')).toBe('relay.example');
    expect(relayKey('wss://relay.example:443')).toBe('relay.example');
    expect(relayKey('wss://relay.example:8443/nostr/')).toBe('relay.example:8443/nostr');
    expect(relayKey('relay.example')).toBeUndefined();
    expect(relayKey('ftp://relay.example')).toBeUndefined();
  });
});
