import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type NostrEvent } from '../../src/nostr/event';
import { databaseFile } from '../../src/peer/database-file';
import { BUDGET_REFUSAL } from '../../src/relay/negentropy';
import { startPeer, type ConfigInput, type StartedPeer } from '../../src/library';
import { openDatabase } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { signer, TestClient } from '../helpers/client';
import { connectFrom } from '../helpers/nips';

// Issue #13: reads run on worker threads, streamed and bounded, so one client's heavy read neither stalls the
// others nor exhausts the heap.
const OFF = { RATE_EVENTS_PER_IP: 0, RATE_EVENTS_PER_PUBKEY: 0, RATE_REQS_PER_IP: 0, RATE_COUNTS_PER_IP: 0, TRUSTED_PROXIES: '127.0.0.1' };
const BASE = 1_700_000_000;
const hex = (n: number) => n.toString(16).padStart(64, '0');
const EMPTY = '6100000200'; // NIP-77: version 1, the whole range, no ids

/** Stored events written straight into a new DATA_DIR (signatures are checked at EVENT, not on the way out). */
function seeded(groups: { n: number; kind: number; content: number }[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'reads-'));
  const db = openDatabase(databaseFile(dir));
  const store = new EventStore(db);
  let i = 0;
  db.transaction(() => {
    for (const g of groups) {
      for (let j = 0; j < g.n; j++, i++) {
        const e: NostrEvent = {
          id: hex(i + 1), pubkey: hex(i % 50 + 1_000_000), created_at: BASE + i, kind: g.kind,
          tags: [['t', `t${i % 7}`]], content: 'x'.repeat(g.content), sig: '0'.repeat(128),
        };
        store.insert(e, canonicalJson(e));
      }
    }
  })();
  db.close();
  return dir;
}

async function peerOn(dir: string, env: ConfigInput): Promise<StartedPeer> {
  return startPeer({ ...OFF, ...env, DATA_DIR: dir });
}

/** The heaviest COUNT: ten filters over the whole table, each counted before the union. */
const heavyCount = Array.from({ length: 10 }, (_, i) => ({ since: BASE + i }));
/** Four times as heavy (MAX_FILTERS 40): seconds even on an idle machine, for tests that need a worker held. */
const HOLD_FILTERS = 40;
const holdingCount = Array.from({ length: HOLD_FILTERS }, (_, i) => ({ since: BASE + i }));
/** The heaviest REQ: ten filters whose matches SQLite must all gather and sort before the first of 5000 rows. */
const TAGS = Array.from({ length: 7 }, (_, i) => `t${i}`);
const heavyReq = Array.from({ length: 10 }, (_, i) => ({ '#t': TAGS, since: BASE + i, limit: 5000 }));

/** Every message of `clients`, in the order they arrived in this process. */
function arrivals(clients: Record<string, TestClient>): string[] {
  const seen: string[] = [];
  for (const [name, c] of Object.entries(clients)) c.ws.on('message', (data) => seen.push(`${name} ${JSON.parse(data.toString())[0]}`));
  return seen;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 60,000 stored events, for the peers of the first two groups in turn. */
let big: string;
beforeAll(() => {
  big = seeded([{ n: 60_000, kind: 1, content: 50 }]);
});
afterAll(() => rmSync(big, { recursive: true, force: true }));

describe('a heavy read does not stall another client', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await peerOn(big, { MAX_COUNT: 1_000_000 });
  });
  afterAll(() => peer.stop());

  for (const [name, heavy, done] of [
    ['COUNT with ten filters', ['COUNT', 'heavy', ...heavyCount], 'COUNT'],
    ['REQ with ten filters of limit 5000', ['REQ', 'heavy', ...heavyReq], 'EOSE'],
    ['NEG-OPEN {}', ['NEG-OPEN', 'heavy', {}, EMPTY], 'NEG-MSG'],
  ] as const) {
    it(`answers a light REQ while another client's ${name} is read`, async () => {
      const hog = await connectFrom(peer.url, '10.0.0.1');
      const light = await connectFrom(peer.url, '10.0.0.2');
      const order = arrivals({ hog, light });
      hog.send(heavy);
      await sleep(20); // the heavy read is under way on the relay
      expect((await light.req('light', { ids: [hex(5)] })).events.map((e) => e.id)).toEqual([hex(5)]);
      await hog.next((m) => m[0] === done && m[1] === 'heavy', 20_000);
      // Reads on the event loop answered the heavy one (all of it) before even reading the light one.
      const first = order.findIndex((m) => m.startsWith('hog '));
      expect(order.indexOf('light EOSE')).toBeLessThan(first);
      await hog.close();
      await light.close();
    });
  }

  it("keeps a worker free of one client's queries: two heavy COUNTs at once do not hold both", async () => {
    const hog = await connectFrom(peer.url, '10.0.0.6');
    const light = await connectFrom(peer.url, '10.0.0.7');
    await light.req('warm', { ids: [hex(5)] }); // the workers are up
    const order = arrivals({ hog, light });
    hog.send(['COUNT', 'h1', ...heavyCount]);
    hog.send(['COUNT', 'h2', ...heavyCount]);
    await sleep(50); // both are dispatched, as far as the workers allow
    expect((await light.req('light', { ids: [hex(5)] })).events).toHaveLength(1);
    await hog.next((m) => m[1] === 'h1', 20_000);
    await hog.next((m) => m[1] === 'h2', 20_000);
    expect(order.indexOf('light EOSE')).toBeLessThan(order.findIndex((m) => m.startsWith('hog ')));
    await hog.close();
    await light.close();
  });

  it('CLOSE during a running query cancels it: no event and no EOSE for it', async () => {
    const c = await connectFrom(peer.url, '10.0.0.3');
    c.send(['REQ', 'gone', ...heavyReq]);
    c.send(['CLOSE', 'gone']);
    await c.req('marker', { ids: [hex(1)] });
    await sleep(1500); // past the heavy query's time
    expect(c.messages.filter((m) => m[1] === 'gone')).toEqual([]);
    await c.close();
  });

  it('a live event committed while the stored answer is read comes once, never lost', async () => {
    const reader = await connectFrom(peer.url, '10.0.0.4');
    const writer = await connectFrom(peer.url, '10.0.0.5');
    const s = signer();
    const e = s.sign({ kind: 1, content: 'while reading', created_at: BASE + 40_000 });
    reader.send(['REQ', 'all', ...heavyReq.slice(1), { authors: [s.pubkey] }]);
    expect((await writer.publish(e))[2]).toBe(true);
    await reader.next((m) => m[0] === 'EOSE' && m[1] === 'all', 20_000);
    await reader.req('marker', { ids: [hex(1)] });
    const got = reader.messages.filter((m) => m[0] === 'EVENT' && m[1] === 'all' && (m[2] as NostrEvent).id === e.id);
    expect(got).toHaveLength(1);
    await reader.close();
    await writer.close();
  });
});

describe('a query past its time budget, and the read queue', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await peerOn(big, { MAX_COUNT: 1_000_000, MAX_FILTERS: HOLD_FILTERS, READ_WORKERS: 1, READ_TIMEOUT_MS: 300, READ_QUEUE_PER_CLIENT: 1, READ_QUEUE_MAX: 1 });
  });
  afterAll(() => peer.stop());

  it('is stopped and answered CLOSED error:, and its worker replaced', async () => {
    const c = await connectFrom(peer.url, '10.0.1.1');
    c.send(['COUNT', 'slow', ...holdingCount]);
    expect(await c.next((m) => m[1] === 'slow')).toEqual(['CLOSED', 'slow', expect.stringMatching(/^error: the query ran longer than 300 ms/)]);
    // the only worker was ended: a fresh one answers
    expect((await c.req('after', { ids: [hex(7)] })).events.map((e) => e.id)).toEqual([hex(7)]);
    expect(await (await fetch(`${peer.httpUrl}/metrics`)).text()).toMatch(/^nostr_read_overruns_total 1$/m);
    await c.close();
  });

  it('refuses a query beyond READ_QUEUE_PER_CLIENT with CLOSED rate-limited:, other clients unaffected', async () => {
    const c = await connectFrom(peer.url, '10.0.1.2');
    c.send(['COUNT', 'slow', ...holdingCount]);
    expect((await c.req('more', { ids: [hex(7)] })).closed).toMatch(/^rate-limited: more than 1 queries in progress/);
    const other = await connectFrom(peer.url, '10.0.1.3');
    expect((await other.req('mine', { ids: [hex(8)] })).events).toHaveLength(1);
    await c.next((m) => m[1] === 'slow');
    await c.close();
    await other.close();
  });

  it('refuses a query beyond READ_QUEUE_MAX waiting with CLOSED rate-limited:', async () => {
    const [x, y, z] = await Promise.all(['10.0.1.4', '10.0.1.5', '10.0.1.6'].map((ip) => connectFrom(peer.url, ip)));
    x.send(['COUNT', 'slow', ...holdingCount]); // runs on the only worker
    await sleep(30);
    y.send(['REQ', 'waits', { ids: [hex(9)] }]); // the one query allowed to wait
    await sleep(30);
    expect((await z.req('full', { ids: [hex(9)] })).closed).toMatch(/^rate-limited: the relay has too many queries waiting/);
    expect((await y.next((m) => m[1] === 'waits'))[0]).toBe('EVENT');
    await x.next((m) => m[1] === 'slow');
    for (const c of [x, y, z]) await c.close();
  });
});

describe('live events held while the stored answer waits', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await peerOn(big, { MAX_COUNT: 1_000_000, MAX_FILTERS: HOLD_FILTERS, READ_WORKERS: 1, BACKPRESSURE_LIMIT: 65_536 });
  });
  afterAll(() => peer.stop());

  it('are bounded like unsent bytes: past BACKPRESSURE_LIMIT the REQ ends with CLOSED error:', async () => {
    const [hog, reader, writer] = await Promise.all(['10.0.3.1', '10.0.3.2', '10.0.3.3'].map((ip) => connectFrom(peer.url, ip)));
    const s = signer();
    hog.send(['COUNT', 'slow', ...holdingCount]); // holds the only worker
    await sleep(30);
    reader.send(['REQ', 'held', { authors: [s.pubkey] }]); // live at once, its stored answer waits for the worker
    await sleep(30);
    for (let i = 0; i < 10; i++) expect((await writer.publish(s.sign({ content: 'y'.repeat(8000) })))[2]).toBe(true);
    expect(await reader.next((m) => m[1] === 'held')).toEqual(['CLOSED', 'held', expect.stringMatching(/^error: too many new events arrived/)]);
    await hog.next((m) => m[1] === 'slow', 20_000);
    for (const c of [hog, reader, writer]) await c.close();
  });
});

describe('the bounds of one answer', () => {
  let dir: string;
  let peer: StartedPeer;
  beforeAll(async () => {
    dir = seeded([
      { n: 300, kind: 1, content: 3000 },
      { n: 300, kind: 7, content: 0 },
      { n: 1000, kind: 30, content: 4000 },
    ]);
    peer = await peerOn(dir, {
      READ_MAX_BYTES: 100_000, READ_MAX_ROWS: 50, NEGENTROPY_MAX_ITEMS_PER_IP: 30, NEGENTROPY_MAX_ITEMS_TOTAL: 100,
      READ_QUEUE_PER_CLIENT: 2,
    });
  });
  afterAll(async () => {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts an answer over READ_MAX_BYTES with CLOSED error:, and the relay goes on', async () => {
    const c = await TestClient.connect(peer.url);
    const r = await c.req('big', { kinds: [1], limit: 45 });
    expect(r.closed).toMatch(/^error: the stored events are over 100000 bytes/);
    expect(r.events.length).toBeGreaterThan(0);
    expect(r.events.reduce((n, e) => n + canonicalJson(e).length, 0)).toBeLessThanOrEqual(100_000);
    // newest first, as far as it went
    expect(r.events.map((e) => e.created_at)).toEqual([...r.events.map((e) => e.created_at)].sort((a, b) => b - a));
    expect((await c.req('small', { kinds: [1], limit: 2 })).events).toHaveLength(2);
    await c.close();
  });

  it('cuts an answer over READ_MAX_ROWS with CLOSED error:', async () => {
    const c = await TestClient.connect(peer.url);
    const r = await c.req('rows', { kinds: [7], limit: 60 });
    expect(r.closed).toMatch(/^error: more than 50 stored events match/);
    expect((await c.req('fits', { kinds: [7], limit: 50 })).events).toHaveLength(50);
    await c.close();
  });

  it('gives a query\'s place back however it ends: EOSE, CLOSED at a cap, CLOSE, COUNT, NEG-OPEN', async () => {
    const c = await connectFrom(peer.url, '10.0.2.9');
    for (let round = 0; round < 3; round++) {
      expect((await c.req(`big${round}`, { kinds: [1], limit: 45 })).closed).toMatch(/^error: /);
      expect((await c.req(`rows${round}`, { kinds: [7], limit: 60 })).closed).toMatch(/^error: /);
      c.send(['REQ', `gone${round}`, { kinds: [30], limit: 500 }]);
      c.send(['CLOSE', `gone${round}`]);
      c.send(['COUNT', `n${round}`, { kinds: [7] }]);
      expect(await c.next((m) => m[1] === `n${round}`)).toEqual(['COUNT', `n${round}`, { count: 300 }]);
      c.send(['NEG-OPEN', `neg${round}`, { kinds: [7], limit: 5 }, EMPTY]);
      expect((await c.next((m) => m[1] === `neg${round}`))[0]).toBe('NEG-MSG');
      c.send(['NEG-CLOSE', `neg${round}`]);
      expect((await c.req(`ok${round}`, { kinds: [7], limit: 3 })).events).toHaveLength(3);
    }
    await c.close();
  });

  it('shares the NIP-77 budget per IP: one client cannot hold all of it', async () => {
    const a = await connectFrom(peer.url, '10.0.2.1');
    const b = await connectFrom(peer.url, '10.0.2.2');
    const open = (c: TestClient, id: string, limit: number) => {
      c.send(['NEG-OPEN', id, { kinds: [7], limit }, EMPTY]);
      return c.next((m) => m[1] === id && (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR'));
    };
    expect((await open(a, 'a1', 30))[0]).toBe('NEG-MSG');
    expect(await open(a, 'a2', 1)).toEqual(['NEG-ERR', 'a2', BUDGET_REFUSAL]);
    const a2 = await connectFrom(peer.url, '10.0.2.1'); // another connection of the same IP shares its budget
    expect(await open(a2, 'a3', 1)).toEqual(['NEG-ERR', 'a3', BUDGET_REFUSAL]);
    expect((await open(b, 'b1', 30))[0]).toBe('NEG-MSG');
    a.send(['NEG-CLOSE', 'a1']);
    await a.req('marker', { ids: [hex(1)] }); // the NEG-CLOSE is through
    expect((await open(a2, 'a4', 30))[0]).toBe('NEG-MSG');
    for (const c of [a, a2, b]) await c.close();
  });
});

describe('a slow reader', () => {
  let dir: string;
  let peer: StartedPeer;
  beforeAll(async () => {
    dir = seeded([{ n: 3000, kind: 1, content: 5000 }]);
    peer = await peerOn(dir, { BACKPRESSURE_LIMIT: 65_536, READ_BATCH_BYTES: 16_384, READ_QUEUE_PER_CLIENT: 1 });
  });
  afterAll(async () => {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets a 15 MB answer in batches as it reads, instead of being disconnected; the REQ holds its IP\'s place meanwhile', async () => {
    const c = await connectFrom(peer.url, '10.0.4.1');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    c.send(['REQ', 'all', { kinds: [1], limit: 3000 }]);
    await sleep(500); // the relay would have buffered the whole answer by now
    // READ_QUEUE_PER_CLIENT 1: the answer being sent is the one query this IP may have in progress
    const same = await connectFrom(peer.url, '10.0.4.1');
    expect((await same.req('more', { kinds: [1], limit: 1 })).closed).toMatch(/^rate-limited: more than 1 queries in progress/);
    socket.resume();
    await c.next((m) => m[0] === 'EOSE' && m[1] === 'all', 20_000);
    expect(c.messages.filter((m) => m[0] === 'EVENT')).toHaveLength(3000);
    expect(c.closed).toBeUndefined();
    expect((await same.req('now', { kinds: [1], limit: 1 })).events).toHaveLength(1);
    await c.close();
    await same.close();
  });
});
