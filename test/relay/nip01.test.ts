import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';

let peer: StartedPeer;
let client: TestClient;

beforeAll(async () => {
  peer = await startPeer({ MAX_MESSAGE_BYTES: 4096, MAX_SUBSCRIPTIONS: 200, MAX_FILTERS: 2, MAX_LIMIT: 50 });
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

describe('EVENT', () => {
  it('stores a valid event, answers OK true, and serves it back exactly', async () => {
    const alice = signer();
    const ev = alice.sign({ content: 'hello ✓ "quoted"', tags: [['t', 'intro']] });
    expect(await client.publish(ev)).toEqual(['OK', ev.id, true, '']);
    const { events } = await client.req('get', { ids: [ev.id] });
    expect(events).toEqual([ev]);
  });

  it('answers a duplicate with OK true "duplicate:"', async () => {
    const ev = signer().sign({ content: 'twice' });
    expect((await client.publish(ev))[2]).toBe(true);
    const [, , ok, msg] = await client.publish(ev);
    expect(ok).toBe(true);
    expect(msg).toMatch(/^duplicate:/);
  });

  it('refuses an id that is not the hash of the event', async () => {
    const ev = signer().sign({ content: 'original' });
    const [, , ok, msg] = await client.publish({ ...ev, content: 'tampered' });
    expect(ok).toBe(false);
    expect(msg).toMatch(/^invalid: id/);
  });

  it('refuses a bad signature', async () => {
    const a = signer().sign({ content: 'a' });
    const b = signer().sign({ content: 'b' });
    const [, , ok, msg] = await client.publish({ ...a, sig: b.sig });
    expect(ok).toBe(false);
    expect(msg).toMatch(/^invalid: signature/);
  });

  it('refuses a pubkey that is not on the curve', async () => {
    const ev = signer().sign({});
    const [, , ok, msg] = await client.publish({ ...ev, pubkey: 'f'.repeat(64) });
    expect(ok).toBe(false);
    expect(msg).toMatch(/^invalid:/);
  });

  it.each([
    ['kind as a string', { kind: '1' }, /kind/],
    ['kind out of range', { kind: 70000 }, /kind/],
    ['created_at as a float', { created_at: 1.5 }, /created_at/],
    ['negative created_at', { created_at: -1 }, /created_at/],
    ['tags not an array', { tags: {} }, /tags/],
    ['a tag with a number', { tags: [['e', 1]] }, /tag/],
    ['an empty tag', { tags: [[]] }, /tag/],
    ['content not a string', { content: 5 }, /content/],
    ['uppercase pubkey', { pubkey: 'A'.repeat(64) }, /pubkey/],
    ['short sig', { sig: 'ab' }, /sig/],
  ])('refuses %s with OK false "invalid:"', async (_name, patch, reason) => {
    const ev = { ...signer().sign({}), ...patch };
    const [, , ok, msg] = await client.publish(ev as never);
    expect(ok).toBe(false);
    expect(msg).toMatch(/^invalid: /);
    expect(msg).toMatch(reason);
  });

  it('answers an event without a usable id with a NOTICE', async () => {
    client.send(['EVENT', { content: 'no id' }]);
    const m = await client.next((x) => x[0] === 'NOTICE');
    expect(m[1]).toMatch(/^invalid: id/);
  });

  it('refuses created_at too far in the future', async () => {
    const ev = signer().sign({ created_at: Math.floor(Date.now() / 1000) + 3600 });
    const [, , ok, msg] = await client.publish(ev);
    expect(ok).toBe(false);
    expect(msg).toMatch(/^invalid: created_at/);
  });

  it('refuses too many tags and too long content per the configured limits', async () => {
    const p2 = await startPeer({ MAX_EVENT_TAGS: 2, MAX_CONTENT_LENGTH: 10 });
    const c = await TestClient.connect(p2.url);
    const s = signer();
    expect((await c.publish(s.sign({ tags: [['t', 'a'], ['t', 'b'], ['t', 'c']] })))[3]).toMatch(/^invalid: more than 2 tags/);
    expect((await c.publish(s.sign({ content: 'x'.repeat(11) })))[3]).toMatch(/^invalid: content longer/);
    expect((await c.publish(s.sign({ content: 'x'.repeat(10), tags: [['t', 'a']] })))[2]).toBe(true);
    await c.close();
    await p2.stop();
  });
});

describe('kinds', () => {
  it('keeps only the newest replaceable event per pubkey and kind', async () => {
    const s = signer();
    const t = Math.floor(Date.now() / 1000) - 100;
    const v1 = s.sign({ kind: 0, content: '{"name":"v1"}', created_at: t });
    const v2 = s.sign({ kind: 0, content: '{"name":"v2"}', created_at: t + 1 });
    expect((await client.publish(v1))[2]).toBe(true);
    expect((await client.publish(v2))[2]).toBe(true);
    const older = s.sign({ kind: 0, content: '{"name":"old"}', created_at: t - 5 });
    const [, , ok, msg] = await client.publish(older);
    expect(ok).toBe(true);
    expect(msg).toMatch(/^duplicate:/);
    const { events } = await client.req('meta', { authors: [s.pubkey], kinds: [0] });
    expect(events.map((e) => e.id)).toEqual([v2.id]);
  });

  it('on equal created_at keeps the lowest id', async () => {
    const s = signer();
    const t = Math.floor(Date.now() / 1000) - 50;
    const a = s.sign({ kind: 3, content: 'a', created_at: t });
    const b = s.sign({ kind: 3, content: 'b', created_at: t });
    const [low, high] = a.id < b.id ? [a, b] : [b, a];
    await client.publish(high);
    await client.publish(low);
    expect((await client.publish(s.sign({ kind: 3, content: 'c', created_at: t - 1 })))[3]).toMatch(/^duplicate:/);
    const { events } = await client.req('contacts', { authors: [s.pubkey], kinds: [3] });
    expect(events.map((e) => e.id)).toEqual([low.id]);
    // Publishing the higher id again is a stale version, not stored.
    const again = await client.req('contacts2', { ids: [high.id] });
    expect(again.events).toEqual([]);
  });

  it('replaces addressable events per pubkey, kind and d tag', async () => {
    const s = signer();
    const t = Math.floor(Date.now() / 1000) - 50;
    const a1 = s.sign({ kind: 30023, tags: [['d', 'a']], content: 'a1', created_at: t });
    const b1 = s.sign({ kind: 30023, tags: [['d', 'b']], content: 'b1', created_at: t });
    const a2 = s.sign({ kind: 30023, tags: [['d', 'a']], content: 'a2', created_at: t + 1 });
    const none = s.sign({ kind: 30023, content: 'no d tag', created_at: t });
    for (const e of [a1, b1, a2, none]) expect((await client.publish(e))[2]).toBe(true);
    const { events } = await client.req('articles', { authors: [s.pubkey], kinds: [30023] });
    expect(events.map((e) => e.content).sort()).toEqual(['a2', 'b1', 'no d tag']);
    const byD = await client.req('article-b', { kinds: [30023], '#d': ['b'], authors: [s.pubkey] });
    expect(byD.events.map((e) => e.id)).toEqual([b1.id]);
  });

  it('delivers ephemeral events live and never stores them', async () => {
    const s = signer();
    const listener = await TestClient.connect(peer.url);
    await listener.req('eph', { authors: [s.pubkey] });
    const ev = s.sign({ kind: 20001, content: 'now only' });
    expect(await client.publish(ev)).toEqual(['OK', ev.id, true, '']);
    const live = await listener.next((m) => m[0] === 'EVENT' && m[1] === 'eph');
    expect(live[2]).toEqual(ev);
    expect((await client.req('eph-stored', { ids: [ev.id] })).events).toEqual([]);
    await listener.close();
  });
});

describe('REQ', () => {
  const s = signer();
  const other = signer();
  const base = Math.floor(Date.now() / 1000) - 10_000;
  const target = 'e'.repeat(64);
  const evs = [
    s.sign({ kind: 1, content: 'one', created_at: base + 1, tags: [['e', target], ['p', other.pubkey]] }),
    s.sign({ kind: 7, content: '+', created_at: base + 2, tags: [['e', target]] }),
    other.sign({ kind: 1, content: 'two', created_at: base + 3, tags: [['t', 'nostr']] }),
    other.sign({ kind: 1, content: 'three', created_at: base + 4, tags: [['t', 'nostr'], ['e', target]] }),
  ];

  beforeAll(async () => {
    for (const e of evs) expect((await client.publish(e))[2]).toBe(true);
  });

  const ids = (r: { events: { id: string }[] }) => r.events.map((e) => e.id);

  it('serves every filter field, newest first', async () => {
    expect(ids(await client.req('q1', { ids: [evs[0].id, evs[2].id] }))).toEqual([evs[2].id, evs[0].id]);
    expect(ids(await client.req('q2', { authors: [s.pubkey] }))).toEqual([evs[1].id, evs[0].id]);
    expect(ids(await client.req('q3', { authors: [s.pubkey, other.pubkey], kinds: [1] }))).toEqual([evs[3].id, evs[2].id, evs[0].id]);
    expect(ids(await client.req('q4', { '#e': [target] }))).toEqual([evs[3].id, evs[1].id, evs[0].id]);
    expect(ids(await client.req('q5', { '#e': [target], kinds: [7] }))).toEqual([evs[1].id]);
    expect(ids(await client.req('q6', { '#p': [other.pubkey] }))).toEqual([evs[0].id]);
    expect(ids(await client.req('q7', { '#t': ['nostr'], '#e': [target] }))).toEqual([evs[3].id]);
    expect(ids(await client.req('q8', { '#e': [target, 'f'.repeat(64)], authors: [other.pubkey] }))).toEqual([evs[3].id]);
    expect(ids(await client.req('q9', { authors: [s.pubkey, other.pubkey], since: base + 2, until: base + 3 }))).toEqual([
      evs[2].id,
      evs[1].id,
    ]);
    expect(ids(await client.req('q10', { authors: [s.pubkey, other.pubkey], limit: 2 }))).toEqual([evs[3].id, evs[2].id]);
    expect(ids(await client.req('q11', { authors: [s.pubkey], limit: 0 }))).toEqual([]);
    expect(ids(await client.req('q12', { authors: [] }))).toEqual([]);
  });

  it('ORs several filters and sends each event once', async () => {
    const r = await client.req('or', { authors: [s.pubkey] }, { '#e': [target] });
    expect(ids(r)).toEqual([evs[3].id, evs[1].id, evs[0].id]);
  });

  it('orders events with equal created_at by lowest id first', async () => {
    const w = signer();
    const t = base + 500;
    const same = [w.sign({ content: 'x', created_at: t }), w.sign({ content: 'y', created_at: t }), w.sign({ content: 'z', created_at: t })];
    for (const e of same) await client.publish(e);
    expect(ids(await client.req('ties', { authors: [w.pubkey] }))).toEqual(same.map((e) => e.id).sort());
  });

  it('clamps limit to max_limit', async () => {
    const w = signer();
    for (let i = 0; i < 55; i++) await client.publish(w.sign({ content: `n${i}` }));
    expect((await client.req('many', { authors: [w.pubkey], limit: 1000 })).events).toHaveLength(50);
  });

  it('sends live events after EOSE until CLOSE', async () => {
    const w = signer();
    const listener = await TestClient.connect(peer.url);
    await listener.req('live', { authors: [w.pubkey], kinds: [1] });
    const match = w.sign({ content: 'live one' });
    await client.publish(w.sign({ kind: 7, content: 'not matching' }));
    await client.publish(match);
    expect((await listener.next((m) => m[0] === 'EVENT' && m[1] === 'live'))[2]).toEqual(match);
    listener.send(['CLOSE', 'live']);
    await client.publish(w.sign({ content: 'after close' }));
    // a marker subscription proves the listener got everything sent before it
    await listener.req('marker', { ids: ['0'.repeat(64)] });
    expect(listener.messages.filter((m) => m[0] === 'EVENT' && m[1] === 'live')).toHaveLength(1);
    await listener.close();
  });

  it('replaces a subscription that reuses its id', async () => {
    const a = signer();
    const b = signer();
    const listener = await TestClient.connect(peer.url);
    await listener.req('same', { authors: [a.pubkey] });
    await listener.req('same', { authors: [b.pubkey] });
    await client.publish(a.sign({ content: 'from a' }));
    const fromB = b.sign({ content: 'from b' });
    await client.publish(fromB);
    const got = await listener.next((m) => m[0] === 'EVENT');
    expect((got[2] as { id: string }).id).toBe(fromB.id);
    await listener.close();
  });

  it('refuses bad REQs with CLOSED and a reason', async () => {
    expect((await client.req('f1', { kinds: ['x'] })).closed).toMatch(/^invalid: "kinds"/);
    expect((await client.req('f2', { ids: ['abc'] })).closed).toMatch(/^invalid: "ids"/);
    expect((await client.req('f3', { unknown: 1 })).closed).toMatch(/^invalid: unsupported filter field/);
    expect((await client.req('f4', { limit: -1 })).closed).toMatch(/^invalid: "limit"/);
    expect((await client.req('f5', {}, {}, {})).closed).toMatch(/^invalid: more than 2 filters/);
    expect((await client.req('f6', 'not an object')).closed).toMatch(/^invalid: filter must be/);
    expect((await client.req('f7')).closed).toMatch(/^invalid: REQ needs/);
  });

  it('refuses more subscriptions than allowed with CLOSED, and frees a slot on CLOSE', async () => {
    const p2 = await startPeer({ MAX_SUBSCRIPTIONS: 3 });
    const c = await TestClient.connect(p2.url);
    for (const id of ['s1', 's2', 's3']) expect((await c.req(id, { limit: 0 })).closed).toBeUndefined();
    expect((await c.req('s4', { limit: 0 })).closed).toMatch(/^restricted: more than 3/);
    c.send(['CLOSE', 's1']);
    expect((await c.req('s4', { limit: 0 })).closed).toBeUndefined();
    await c.close();
    await p2.stop();
  });

  it('answers a bad subscription id with a NOTICE', async () => {
    client.send(['REQ', 'x'.repeat(65), {}]);
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/^invalid: subscription id/);
    client.send(['REQ', 5, {}]);
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/^invalid: subscription id/);
  });
});

describe('malformed input', () => {
  it.each([
    ['not JSON', '{not json', /not valid JSON/],
    ['an object', '{"a":1}', /JSON array/],
    ['an empty array', '[]', /JSON array/],
    ['an unknown type', '["HELLO"]', /unknown message type/],
    ['CLOSE without id', '["CLOSE"]', /CLOSE needs/],
    ['EVENT with extra items', JSON.stringify(['EVENT', {}, {}]), /invalid/],
  ])('answers %s with a NOTICE and stays usable', async (_n, text, reason) => {
    client.send(text);
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(reason);
    expect((await client.req('still-ok', { limit: 0 })).closed).toBeUndefined();
  });

  it('names an unknown type in its NOTICE cut whole characters, never half an emoji', async () => {
    client.send(JSON.stringify(['😀'.repeat(50)]));
    const notice = (await client.next((m) => m[0] === 'NOTICE'))[1] as string;
    expect(notice).toBe(`invalid: unknown message type "${'😀'.repeat(39)}`);
  });

  it('answers invalid UTF-8 with a NOTICE', async () => {
    client.ws.send(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { binary: true });
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/UTF-8/);
    expect((await client.req('utf8-ok', { limit: 0 })).closed).toBeUndefined();
  });

  it('answers an oversized message with a NOTICE and keeps the connection', async () => {
    const big = signer().sign({ content: 'x'.repeat(5000) });
    client.send(['EVENT', big]);
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/over the limit of 4096/);
    expect((await client.req('after-big', { ids: [big.id] })).events).toEqual([]);
  });

  it('closes a connection that sends a frame far over the limit, and keeps serving others', async () => {
    const c = await TestClient.connect(peer.url);
    c.send('x'.repeat(100_000));
    await new Promise<void>((resolve) => c.ws.once('close', () => resolve()));
    expect(c.closed?.code).toBe(1006);
    const ev = signer().sign({ content: 'still serving' });
    expect((await client.publish(ev))[2]).toBe(true);
  });
});

describe('HTTP', () => {
  it('serves NIP-11 with CORS to Accept: application/nostr+json', async () => {
    const res = await fetch(peer.httpUrl, { headers: { Accept: 'application/nostr+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/nostr+json');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const info = (await res.json()) as { supported_nips: number[]; limitation: object };
    expect(info.supported_nips).toEqual(expect.arrayContaining([1, 11]));
    expect(info.limitation).toMatchObject({ max_message_length: 4096, max_subscriptions: 200, max_filters: 2, max_limit: 50 });
  });

  it('answers a CORS preflight', async () => {
    const res = await fetch(peer.httpUrl, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves an HTML page to browsers', async () => {
    const res = await fetch(peer.httpUrl);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('ilp-nostr-peer');
  });

  it('reports health and readiness', async () => {
    const res = await fetch(`${peer.httpUrl}/health`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as { timestamp: string; uptime: number };
    expect(h).toMatchObject({ status: 'ok', services: { database: 'ok', ledger: 'ok', websocket: 'ok' } });
    expect(new Date(h.timestamp).toISOString()).toBe(h.timestamp);
    expect(typeof h.uptime).toBe('number');
    expect((await fetch(`${peer.httpUrl}/ready`)).status).toBe(200);
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await fetch(`${peer.httpUrl}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });

  it('accepts a WebSocket on any path the relay serves', async () => {
    const ws = new WebSocket(`${peer.url}/`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.close();
  });
});
