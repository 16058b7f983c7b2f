import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getEventHash } from 'nostr-tools/pure';
import * as secp from 'tiny-secp256k1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../src/nostr/event';
import { startPeer, type StartedPeer } from '../../src/library';
import { VANISH_BATCH } from '../../src/storage/vanish';
import { signer, TestClient, type Signer } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { pay } from '../helpers/payer';
import { serializeForId } from '../../src/nostr/event';

const PUBLIC_URL = 'wss://relay.example';
let peer: StartedPeer;
let client: TestClient;

beforeAll(async () => {
  // the large-history test publishes more than the default per-IP and per-pubkey rates allow
  peer = await startPeer({ PUBLIC_URL, RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0' });
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const ids = (r: { events: { id: string }[] }) => r.events.map((e) => e.id).sort();
const sorted = (...xs: { id: string }[]) => xs.map((e) => e.id).sort();
const vanish = (s: Signer, relay: string | string[], created_at = now()) =>
  s.sign({ kind: 62, created_at, tags: (Array.isArray(relay) ? relay : [relay]).map((r) => ['relay', r]), content: 'forget me' });

/** Signs with WASM libsecp256k1, about 10× faster than nostr-tools: for tests that need a long history. */
function fastSign(s: Signer, t: Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>): NostrEvent {
  const e = { ...t, pubkey: s.pubkey };
  const id = getEventHash(e);
  const h = Buffer.from(id, 'hex');
  return { ...e, id, sig: Buffer.from(secp.signSchnorr(h, s.sk, h)).toString('hex') };
}

/** Publishes every event and expects each to be accepted. */
async function publishAll(c: TestClient, events: NostrEvent[]): Promise<void> {
  for (const e of events) c.send(['EVENT', e]);
  for (const e of events) expect((await c.next((m) => m[0] === 'OK' && m[1] === e.id))[2]).toBe(true);
}

/** A second, read-only connection to the peer's database, the way an auditor would look. */
function inspect(dataDir: string) {
  const db = new Database(path.join(dataDir, 'peer.sqlite'), { readonly: true });
  const n = (sql: string, ...params: unknown[]) => db.prepare(sql).pluck().get(...params) as number;
  return {
    /** Tag rows and search entries whose event is gone: a real delete leaves none. */
    orphans: () =>
      n('SELECT count(*) FROM tags WHERE seq NOT IN (SELECT seq FROM events)') +
      n('SELECT count(*) FROM events_fts WHERE rowid NOT IN (SELECT seq FROM events)'),
    deletionRecords: (pubkey: string) => n('SELECT count(*) FROM deletions WHERE pubkey = ?', pubkey),
    events: (pubkey: string) => n('SELECT count(*) FROM events WHERE pubkey = ?', pubkey),
    close: () => db.close(),
  };
}

describe('NIP-62 request to vanish', () => {
  it('deletes every event of the pubkey up to its created_at, and gift wraps to it; keeps the request and the rest', async () => {
    const alice = signer();
    const bob = signer();
    const wrapper = signer();
    const t = now() - 500;
    const before = [
      alice.sign({ content: 'vanishingword note', tags: [['t', 'vanishtag']], created_at: t }),
      alice.sign({ kind: 0, content: '{"name":"alice"}', created_at: t + 1 }),
      alice.sign({ kind: 10002, tags: [['r', 'wss://x.example']], created_at: t + 2 }),
      alice.sign({ kind: 30023, tags: [['d', 'post'], ['title', 'vanishingword title']], content: 'long', created_at: t + 3 }),
      wrapper.sign({ kind: 1059, tags: [['p', alice.pubkey]], content: 'ciphertext', created_at: t + 4 }),
    ];
    const doomed = alice.sign({ content: 'deleted by NIP-09', created_at: t + 5 });
    await publishAll(client, [...before, doomed]);
    const nip09 = alice.sign({ kind: 5, tags: [['e', doomed.id]], created_at: t + 6 });
    await publishAll(client, [nip09]);
    const request = vanish(alice, PUBLIC_URL, t + 100);
    const after = alice.sign({ content: 'written after the request', created_at: t + 101 });
    const keep = [
      bob.sign({ content: 'vanishingword from bob', created_at: t }),
      wrapper.sign({ kind: 1059, tags: [['p', bob.pubkey]], content: 'ciphertext', created_at: t + 4 }),
      wrapper.sign({ kind: 1059, tags: [['p', alice.pubkey]], content: 'later ciphertext', created_at: t + 101 }),
    ];
    await publishAll(client, keep);

    expect(await client.publish(request)).toEqual(['OK', request.id, true, '']);
    await publishAll(client, [after]);

    expect(ids(await client.req('alice', { authors: [alice.pubkey] }))).toEqual(sorted(request, after));
    expect(ids(await client.req('wraps', { kinds: [1059], '#p': [alice.pubkey, bob.pubkey] }))).toEqual(sorted(keep[1], keep[2]));
    expect(ids(await client.req('bob', { authors: [bob.pubkey] }))).toEqual(sorted(keep[0]));
    expect(ids(await client.req('tag', { '#t': ['vanishtag'] }))).toEqual([]);
    expect(ids(await client.req('search', { search: 'vanishingword' }))).toEqual(sorted(keep[0]));
    const db = inspect(peer.config.dataDir);
    expect(db.orphans()).toBe(0);
    expect(db.deletionRecords(alice.pubkey)).toBe(0);
    db.close();
  });

  it('refuses re-publication of what it deleted with OK false "blocked:", and takes newer events', async () => {
    const alice = signer();
    const t = now() - 500;
    const old = [alice.sign({ content: 'old', created_at: t }), alice.sign({ kind: 0, content: '{}', created_at: t + 1 })];
    await publishAll(client, old);
    const request = vanish(alice, 'ALL_RELAYS', t + 10);
    expect((await client.publish(request))[2]).toBe(true);
    for (const e of old) expect(await client.publish(e)).toEqual(['OK', e.id, false, 'blocked: this pubkey asked to vanish from this relay (NIP-62)']);
    // never seen before, but older than the request: refused all the same; so is a gift wrap to alice dated before it
    const backdated = alice.sign({ content: 'backdated', created_at: t + 10 });
    expect((await client.publish(backdated))[3]).toMatch(/^blocked: /);
    const wrap = signer().sign({ kind: 1059, tags: [['p', alice.pubkey]], content: 'x', created_at: t + 5 });
    expect(await client.publish(wrap)).toEqual(['OK', wrap.id, false, 'blocked: the recipient asked to vanish from this relay (NIP-62)']);
    const fresh = alice.sign({ kind: 0, content: '{"name":"new me"}', created_at: t + 11 });
    expect(await client.publish(fresh)).toEqual(['OK', fresh.id, true, '']);
    expect(ids(await client.req('now', { authors: [alice.pubkey] }))).toEqual(sorted(request, fresh));
  });

  it('a later request moves the cut forward and replaces the earlier one; an earlier one is refused', async () => {
    const alice = signer();
    const t = now() - 500;
    const first = vanish(alice, 'ALL_RELAYS', t);
    const between = alice.sign({ content: 'between', created_at: t + 5 });
    await publishAll(client, [first, between]);
    const second = vanish(alice, PUBLIC_URL, t + 10);
    expect((await client.publish(second))[2]).toBe(true);
    expect(ids(await client.req('cut', { authors: [alice.pubkey] }))).toEqual(sorted(second));
    expect((await client.publish(between))[3]).toMatch(/^blocked: /);
    const older = vanish(alice, 'ALL_RELAYS', t + 7);
    expect((await client.publish(older))[3]).toMatch(/^blocked: /);
  });

  it('matches its relay tag to PUBLIC_URL by scheme, host case and trailing slash; refuses another relay', async () => {
    const accepted = ['wss://relay.example', 'WSS://Relay.EXAMPLE/', 'ws://relay.example', 'wss://relay.example:443//', 'https://relay.example'];
    const refused = ['wss://other.example', 'wss://relay.example/nostr', 'wss://relay.example:4443', 'relay.example', 'ALL_relays', ''];
    for (const relay of accepted) {
      const s = signer();
      const note = s.sign({ content: 'note', created_at: now() - 10 });
      await publishAll(client, [note]);
      expect([relay, (await client.publish(vanish(s, relay)))[2]]).toEqual([relay, true]);
      expect(ids(await client.req('gone', { ids: [note.id] }))).toEqual([]);
    }
    for (const relay of refused) {
      const s = signer();
      const note = s.sign({ content: 'note', created_at: now() - 10 });
      await publishAll(client, [note]);
      const request = vanish(s, relay);
      expect(await client.publish(request)).toEqual(['OK', request.id, false, `invalid: the relay tag does not name this relay (${PUBLIC_URL})`]);
      expect(ids(await client.req('kept', { authors: [s.pubkey] }))).toEqual(sorted(note));
    }
    // one matching tag among others is enough
    const s = signer();
    expect((await client.publish(vanish(s, ['wss://other.example', 'wss://relay.example/'])))[2]).toBe(true);
  });

  it('refuses a kind 62 without a relay tag', async () => {
    const s = signer();
    const request = s.sign({ kind: 62, content: 'no relay tag' });
    expect(await client.publish(request)).toEqual(['OK', request.id, false, 'invalid: a request to vanish needs a relay tag (NIP-62)']);
  });

  it('a deletion request against a request to vanish has no effect', async () => {
    const alice = signer();
    const request = vanish(alice, 'ALL_RELAYS', now() - 100);
    expect((await client.publish(request))[2]).toBe(true);
    expect((await client.publish(alice.sign({ kind: 5, tags: [['e', request.id]], created_at: now() })))[2]).toBe(true);
    expect(ids(await client.req('still', { ids: [request.id] }))).toEqual([request.id]);
    // nor does one that arrives before the request
    const bob = signer();
    const later = vanish(bob, 'ALL_RELAYS', now() - 50);
    await publishAll(client, [bob.sign({ kind: 5, tags: [['e', later.id]], created_at: now() - 100 })]);
    expect((await client.publish(later))[2]).toBe(true);
  });

  it('NIP-11 lists 62', async () => {
    const res = await fetch(peer.httpUrl, { headers: { accept: 'application/nostr+json' } });
    expect(((await res.json()) as { supported_nips: number[] }).supported_nips).toContain(62);
  });

  it('deletes a history larger than one batch: refusal at once, the rest within the purge', async () => {
    const alice = signer();
    const t = now() - 5000;
    // more than two batches: one deleted with the request, the rest by the purge
    const history = Array.from({ length: 2 * VANISH_BATCH + 100 }, (_, i) =>
      fastSign(alice, { kind: 1, content: `post ${i}`, tags: [['t', 'bulk']], created_at: t + i }),
    );
    await publishAll(client, history);
    const request = vanish(alice, 'ALL_RELAYS', t + 2000);
    expect((await client.publish(request))[2]).toBe(true);
    expect((await client.publish(history[history.length - 1]))[3]).toMatch(/^blocked: /);
    for (let i = 0; ; i++) {
      const left = (await client.req(`left${i}`, { authors: [alice.pubkey], limit: 2000 })).events;
      if (left.length === 1) break;
      expect(i).toBeLessThan(100);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ids(await client.req('final', { authors: [alice.pubkey] }))).toEqual([request.id]);
    const db = inspect(peer.config.dataDir);
    expect(db.orphans()).toBe(0);
    db.close();
  });
});

describe('NIP-62 without PUBLIC_URL', () => {
  it('only ALL_RELAYS applies; a named relay is refused, saying why', async () => {
    const p = await startPeer();
    const c = await TestClient.connect(p.url);
    const alice = signer();
    const note = alice.sign({ content: 'note', created_at: now() - 10 });
    await publishAll(c, [note]);
    const named = vanish(alice, `ws://127.0.0.1:${p.port}`);
    expect(await c.publish(named)).toEqual([
      'OK',
      named.id,
      false,
      'invalid: this relay has no PUBLIC_URL to match; only a relay tag ALL_RELAYS applies here',
    ]);
    expect(ids(await c.req('kept', { ids: [note.id] }))).toEqual([note.id]);
    expect((await c.publish(vanish(alice, 'ALL_RELAYS')))[2]).toBe(true);
    expect(ids(await c.req('gone', { ids: [note.id] }))).toEqual([]);
    await c.close();
    await p.stop();
  });
});

describe('NIP-62 across a restart', () => {
  it('the rule and the request survive: re-publication is still refused on the same data dir', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nip62-'));
    try {
      const alice = signer();
      const old = alice.sign({ content: 'before', created_at: now() - 100 });
      const request = vanish(alice, PUBLIC_URL, now() - 50);
      const p1 = await startPeer({ DATA_DIR: dir, PUBLIC_URL });
      const c1 = await TestClient.connect(p1.url);
      await publishAll(c1, [old, request]);
      await c1.close();
      await p1.stop();

      const p2 = await startPeer({ DATA_DIR: dir, PUBLIC_URL });
      const c2 = await TestClient.connect(p2.url);
      expect((await c2.publish(old))[3]).toMatch(/^blocked: /);
      expect(ids(await c2.req('after', { authors: [alice.pubkey] }))).toEqual([request.id]);
      await c2.close();
      await p2.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NIP-62 on a paid relay', () => {
  it('the request is charged its price like any event; deleting the history moves no money', async () => {
    const TOKEN = 'wallet-token-0123456789';
    const BASE = 1000n;
    const PER_BYTE = 3n;
    const p = await startPeer({
      PUBLIC_URL,
      PRICE_BASE: BASE.toString(),
      PRICE_PER_BYTE: PER_BYTE.toString(),
      ILP_PEERS: JSON.stringify([{ id: 'wallet', token: TOKEN, creditLimit: '100000000' }]),
    });
    const c = await TestClient.connect(p.url);
    const price = (e: NostrEvent) => BASE + PER_BYTE * BigInt(Buffer.byteLength(serializeForId(e)));
    const read = () => {
      const l = readLedger(p.config.dataDir);
      const net = (a: string) => l.account(a).creditsPosted - l.account(a).debitsPosted;
      const r = { balance: net(`liabilities/balances/${alice.pubkey}`), revenue: net('revenue/relay-fees'), sum: l.sum() };
      l.close();
      // the journal keeps every charge to alice: the operator's record outlives her events
      const db = new Database(path.join(p.config.dataDir, 'peer.sqlite'), { readonly: true });
      const charges = db.prepare('SELECT count(*) FROM journal WHERE debit = ?').pluck().get(`liabilities/balances/${alice.pubkey}`) as number;
      db.close();
      return { ...r, charges };
    };
    const alice = signer();
    const history = [alice.sign({ content: 'paid one', created_at: now() - 100 }), alice.sign({ content: 'paid two', created_at: now() - 99 })];
    const request = vanish(alice, PUBLIC_URL, now() - 50);
    const spent = history.map(price).reduce((a, b) => a + b, 0n);
    // enough for the history and the request, and 7 over
    await pay(p.port, TOKEN, alice.pubkey, spent + price(request) + 7n);
    await publishAll(c, history);
    const before = read();
    expect(before.balance).toBe(price(request) + 7n);
    expect(before.charges).toBe(history.length);

    expect(await c.publish(request)).toEqual(['OK', request.id, true, '']);
    expect(ids(await c.req('left', { authors: [alice.pubkey] }))).toEqual([request.id]);
    const after = read();
    expect(after.balance).toBe(7n);
    expect(after.revenue - before.revenue).toBe(price(request));
    expect(after.sum).toBe(0n);
    expect(after.charges).toBe(before.charges + 1);

    // refused re-publication is not charged
    expect((await c.publish(history[0]))[3]).toMatch(/^blocked: /);
    expect(read().balance).toBe(7n);
    await c.close();
    await p.stop();
  });
});

describe('NIP-62 on a relay that restricts who can post', () => {
  it('follows the request of a pubkey that is not allowed, or is blocked; their other events stay refused', async () => {
    const bob = signer();
    const alice = signer();
    const carol = signer();
    const p = await startPeer({ PUBLIC_URL, ALLOWED_PUBKEYS: `${bob.pubkey},${carol.pubkey}`, BLOCKED_PUBKEYS: carol.pubkey });
    const c = await TestClient.connect(p.url);
    const t = now() - 100;
    const wraps = [alice, carol].map((to) => bob.sign({ kind: 1059, tags: [['p', to.pubkey]], content: 'x', created_at: t }));
    await publishAll(c, wraps);
    for (const s of [alice, carol]) {
      expect((await c.publish(s.sign({ content: 'not stored', created_at: t })))[3]).toMatch(/^blocked: /);
      expect((await c.publish(vanish(s, PUBLIC_URL, t + 10)))[2]).toBe(true);
    }
    expect(ids(await c.req('wraps', { kinds: [1059] }))).toEqual([]);
    await c.close();
    await p.stop();
  });
});
