import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { BUDGET_REFUSAL, NegentropyHandler } from '../../src/relay/negentropy';
import { readPoolFor } from '../../src/relay/relay';
import type { Session } from '../../src/relay/session';
import { startPeer, type StartedPeer } from '../../src/library';
import { openDatabase, type Db } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import type { ReadPool } from '../../src/storage/read-pool';
import { signer, TestClient } from '../helpers/client';

// NEGENTROPY_MAX_ITEMS_TOTAL: records held by all open sessions of a relay; NEGENTROPY_IDLE_SECONDS closes idle ones.
const EMPTY = '6100000200'; // version 1, the whole range, no ids: the client holds nothing
const negReply = (c: TestClient, subId: string) =>
  c.next((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === subId).then((m) => (m[0] === 'NEG-ERR' ? m.slice(0, 3) : m.slice(0, 1)));
const open = (c: TestClient, subId: string, limit: number) => {
  c.send(['NEG-OPEN', subId, { kinds: [1], limit }, EMPTY]);
  return negReply(c, subId);
};
const OK = ['NEG-MSG'];
const refused = (subId: string) => ['NEG-ERR', subId, BUDGET_REFUSAL];

describe('the relay-wide negentropy budget (over WebSocket)', () => {
  let peer: StartedPeer;
  let a: TestClient;
  let b: TestClient;
  beforeAll(async () => {
    peer = await startPeer({ NEGENTROPY_MAX_ITEMS_TOTAL: 50, NEGENTROPY_MAX_SESSIONS: 4, NEGENTROPY_IDLE_SECONDS: 1 });
    a = await TestClient.connect(peer.url);
    b = await TestClient.connect(peer.url);
    const alice = signer();
    const base = Math.floor(Date.now() / 1000) - 1000;
    for (let i = 0; i < 60; i++) expect((await a.publish(alice.sign({ created_at: base + i, content: `${i}` })))[2]).toBe(true);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await peer.stop();
  });

  it('refuses NEG-OPEN beyond the budget, across connections, and releases on NEG-CLOSE, replacement and error', async () => {
    expect(await open(a, 's1', 30)).toEqual(OK);
    expect(await open(b, 's2', 30)).toEqual(refused('s2')); // 20 left
    expect(await open(b, 's2', 20)).toEqual(OK); // exactly the budget
    expect(await open(a, 's3', 1)).toEqual(refused('s3'));
    // NEG-CLOSE releases
    b.send(['NEG-CLOSE', 's2']);
    expect(await open(a, 's3', 20)).toEqual(OK);
    // a NEG-OPEN replacing a session releases the old one first
    expect(await open(a, 's1', 25)).toEqual(OK); // 30 released, 25 taken: 45 held
    expect(await open(b, 's4', 6)).toEqual(refused('s4'));
    expect(await open(b, 's4', 5)).toEqual(OK); // 50 held
    // a malformed NEG-MSG ends its session and releases it
    a.send(['NEG-MSG', 's1', 'zz']);
    expect((await negReply(a, 's1'))[2]).toMatch(/^invalid:/);
    expect(await open(b, 's5', 25)).toEqual(OK);
    // a refused NEG-OPEN replacing an open id has released it too
    expect(await open(b, 's5', 26)).toEqual(refused('s5'));
    expect(await open(b, 's6', 25)).toEqual(OK);
    for (const [c, id] of [[a, 's3'], [b, 's4'], [b, 's6']] as const) c.send(['NEG-CLOSE', id]);
    // connections are not ordered with each other: wait until b's closes are through
    b.send(['NEG-MSG', 's6', '61']);
    expect((await negReply(b, 's6'))[2]).toMatch(/^closed:/);
    expect(await open(a, 'all', 50)).toEqual(OK);
    a.send(['NEG-CLOSE', 'all']);
  });

  it('closes a session idle for NEGENTROPY_IDLE_SECONDS with NEG-ERR closed: idle, releasing it', async () => {
    expect(await open(a, 'idle', 50)).toEqual(OK);
    expect(await open(b, 'wait', 1)).toEqual(refused('wait'));
    expect(await negReply(a, 'idle')).toEqual(['NEG-ERR', 'idle', 'closed: idle']);
    expect(await open(b, 'wait', 50)).toEqual(OK);
    b.send(['NEG-CLOSE', 'wait']);
  });

  it('releases the sessions of a closed connection when it closes, before they could go idle', async () => {
    const c = await TestClient.connect(peer.url);
    expect(await open(c, 'gone', 50)).toEqual(OK);
    await c.close();
    // Relay.drop releases them with the connection; the idle sweep (1 s here) would take longer.
    const deadline = Date.now() + 900;
    let r = await open(a, 'after', 50);
    while (r[0] === 'NEG-ERR' && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 200));
      r = await open(a, 'after', 50);
    }
    expect(r).toEqual(OK);
    a.send(['NEG-CLOSE', 'after']);
  });
});

describe('NegentropyHandler.drop', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'neg-budget-'));
  let db: Db;
  let handler: NegentropyHandler;
  let reads: ReadPool;
  const sent: string[] = [];
  /** The records are read on a worker: waits for the answer to `subId`. */
  const answered = async (subId: string) => {
    for (let t = 0; t < 500; t++) {
      const m = sent.map((x) => JSON.parse(x) as unknown[]).find((x) => x[1] === subId);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no answer to ${subId}`);
  };
  const session = (): Session => ({ subs: new Map(), send: (m) => (sent.push(m), true) });
  beforeAll(() => {
    db = openDatabase(path.join(dir, 'n.sqlite'));
    const store = new EventStore(db);
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    db.transaction(() => {
      for (let i = 0; i < 40; i++) {
        const e: NostrEvent = { id: hex(i + 1), pubkey: hex(7), created_at: 1_700_000_000 + i, kind: 1, tags: [], content: '', sig: '0'.repeat(128) };
        store.insert(e, canonicalJson(e));
      }
    })();
    const config = loadConfig({ DATA_DIR: dir, NEGENTROPY_MAX_ITEMS_TOTAL: 60, NEGENTROPY_IDLE_SECONDS: 3600 });
    const log = pino({ level: 'silent' });
    reads = readPoolFor(store.file, config, log);
    handler = new NegentropyHandler(config, reads, () => 'one client', log);
  });
  afterAll(async () => {
    await reads.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('releases every session of a connection, and the records reserved by NEG-OPENs still being read', async () => {
    const [x, y] = [session(), session()];
    handler.handle(x, ['NEG-OPEN', 'a', { limit: 20 }, EMPTY]);
    handler.handle(x, ['NEG-OPEN', 'b', { limit: 30 }, EMPTY]);
    handler.handle(y, ['NEG-OPEN', 'c', { limit: 10 }, EMPTY]);
    // reserved while being read
    expect(handler.itemsInUse).toBe(60);
    handler.handle(y, ['NEG-OPEN', 'd', { limit: 1 }, EMPTY]);
    expect(JSON.parse(sent.at(-1)!)).toEqual(['NEG-ERR', 'd', BUDGET_REFUSAL]);
    await answered('a');
    await answered('b');
    handler.drop(x);
    expect(handler.itemsInUse).toBe(10);
    handler.drop(x); // twice is harmless
    handler.handle(y, ['NEG-OPEN', 'd2', { limit: 40 }, EMPTY]);
    expect((await answered('d2'))[0]).toBe('NEG-MSG');
    expect((await answered('c'))[0]).toBe('NEG-MSG');
    expect(handler.itemsInUse).toBe(50);
    // dropped while its records are read: the reservation goes, the answer is never sent
    const z = session();
    handler.handle(z, ['NEG-OPEN', 'e', { limit: 5 }, EMPTY]);
    expect(handler.itemsInUse).toBe(55);
    handler.drop(z);
    expect(handler.itemsInUse).toBe(50);
    handler.drop(y);
    expect(handler.itemsInUse).toBe(0);
  });
});
