import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AbstractRelay } from 'nostr-tools/abstract-relay';
import { verifyEvent } from 'nostr-tools/pure';
import { Initiator, itemSetOf } from '../../src/nostr/negentropy';
import type { NostrEvent } from '../../src/nostr/event';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { bytes, hex } from './helpers';

const MAX_MESSAGE_BYTES = 16_384;
let peer: StartedPeer;
let client: TestClient;
const alice = signer();
const bob = signer();
const carol = signer();
let events: NostrEvent[] = [];
const byAuthor = (s: { pubkey: string }) => events.filter((e) => e.pubkey === s.pubkey);

beforeAll(async () => {
  peer = await startPeer({ MAX_MESSAGE_BYTES, NEGENTROPY_MAX_EVENTS: 300, NEGENTROPY_MAX_SESSIONS: 2 });
  client = await TestClient.connect(peer.url);
  const base = Math.floor(Date.now() / 1000) - 10_000;
  for (const [s, n, kind] of [
    [alice, 150, 1],
    [bob, 150, 1],
    [carol, 100, 7],
  ] as const) {
    // Ten events per second, so many bounds need an id prefix.
    for (let i = 0; i < n; i++) events.push(s.sign({ kind, created_at: base + Math.floor(i / 10), content: `${i}` }));
  }
  const oks = events.map((e) => client.next((m) => m[0] === 'OK' && m[1] === e.id));
  for (const e of events) client.send(['EVENT', e]);
  expect((await Promise.all(oks)).every((m) => m[2] === true)).toBe(true);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

let sub = 0;
const negReply = (c: TestClient, subId: string) => c.next((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === subId);

/** Runs the NIP-77 exchange to the end with our initiator, as a client holding `mine`. */
async function reconcile(c: TestClient, filter: object, mine: NostrEvent[]) {
  const subId = `neg-${++sub}`;
  const initiator = new Initiator(itemSetOf(mine));
  const have = new Set<string>();
  const need = new Set<string>();
  c.send(['NEG-OPEN', subId, filter, hex(initiator.initiate())]);
  for (let rounds = 1; ; rounds++) {
    const m = await negReply(c, subId);
    if (m[0] === 'NEG-ERR') return { error: m[2] as string };
    expect(JSON.stringify(m).length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const step = initiator.reconcile(bytes(m[2] as string));
    if (!step.ok) throw new Error(step.reason);
    step.have.forEach((id) => have.add(id));
    step.need.forEach((id) => need.add(id));
    if (!step.next) {
      c.send(['NEG-CLOSE', subId]);
      return { have, need, rounds };
    }
    c.send(['NEG-MSG', subId, hex(step.next)]);
  }
}

const ids = (es: NostrEvent[]) => new Set(es.map((e) => e.id));

describe('NIP-77 on the relay', () => {
  it('reconciles a partly overlapping set over several frames, exactly', async () => {
    const relaySet = [...byAuthor(alice), ...byAuthor(bob)];
    const mine = [...relaySet.filter((_, i) => i % 3 !== 0), ...[alice, bob].map((s) => s.sign({ content: 'only mine' }))];
    const r = await reconcile(client, { kinds: [1] }, mine);
    expect(r).not.toHaveProperty('error');
    expect(r.need).toEqual(ids(relaySet.filter((_, i) => i % 3 === 0)));
    expect(r.have).toEqual(ids(mine.slice(-2)));
  });

  it('applies the filter: authors, kinds, since/until, and limit keeps the newest', async () => {
    expect((await reconcile(client, { authors: [carol.pubkey] }, [])).need).toEqual(ids(byAuthor(carol)));
    expect((await reconcile(client, { kinds: [7] }, [])).need).toEqual(ids(byAuthor(carol)));
    const a = byAuthor(alice);
    const [since, until] = [a[20].created_at, a[59].created_at];
    expect((await reconcile(client, { authors: [alice.pubkey], since, until }, [])).need).toEqual(
      ids(a.filter((e) => e.created_at >= since && e.created_at <= until)),
    );
    const newest = [...a].sort((x, y) => y.created_at - x.created_at || (x.id < y.id ? -1 : 1)).slice(0, 25);
    expect((await reconcile(client, { authors: [alice.pubkey], limit: 25 }, [])).need).toEqual(ids(newest));
  });

  it('finishes in one round when the client holds the same events', async () => {
    const r = await reconcile(client, { authors: [bob.pubkey] }, byAuthor(bob));
    expect(r).toMatchObject({ rounds: 1, have: new Set(), need: new Set() });
  });

  it('refuses a query over NEGENTROPY_MAX_EVENTS with NEG-ERR blocked', async () => {
    expect(await reconcile(client, {}, [])).toEqual({ error: 'blocked: too many events' });
    // An explicit limit within the maximum is served.
    expect((await reconcile(client, { limit: 300 }, [])).need?.size).toBe(300);
  });

  it('answers another protocol version with 61 and keeps the session for the retry', async () => {
    client.send(['NEG-OPEN', 'v2', { kinds: [7] }, '62']);
    expect(await negReply(client, 'v2')).toEqual(['NEG-MSG', 'v2', '61']);
    const initiator = new Initiator(itemSetOf(byAuthor(carol)));
    client.send(['NEG-MSG', 'v2', hex(initiator.initiate())]);
    const m = await negReply(client, 'v2');
    expect(m[0]).toBe('NEG-MSG');
    expect(initiator.reconcile(bytes(m[2] as string))).toEqual({ ok: true, next: null, have: [], need: [] });
    client.send(['NEG-CLOSE', 'v2']);
  });

  it.each([
    ['a filter that is not an object', ['NEG-OPEN', 'e1', [], '6100000200'], /^invalid: filter must be a JSON object$/],
    ['an unsupported filter field', ['NEG-OPEN', 'e1', { foo: 'x' }, '6100000200'], /^invalid: unsupported filter field "foo"$/],
    ['a message that is not hex', ['NEG-OPEN', 'e1', {}, 'zz'], /^invalid: the negentropy message must be a non-empty hex string$/],
    ['an odd-length message', ['NEG-OPEN', 'e1', {}, '610'], /^invalid: the negentropy message must be/],
    ['a missing message', ['NEG-OPEN', 'e1', {}], /^invalid: NEG-OPEN takes a subscription id, a filter and a hex message$/],
    ['a truncated negentropy message', ['NEG-OPEN', 'e1', { kinds: [7] }, '610000010102'], /^invalid: message ends early: 16 bytes wanted, 2 left at byte 4$/],
    ['a bad version byte', ['NEG-OPEN', 'e1', { kinds: [7] }, '01'], /^invalid: 0x01 is not a protocol version byte at byte 0$/],
    ['NEG-MSG for no session', ['NEG-MSG', 'e1', '61'], /^closed: no open negentropy session with this id$/],
  ])('answers %s with NEG-ERR', async (_, msg, reason) => {
    client.send(msg);
    const m = await negReply(client, 'e1');
    expect(m[0]).toBe('NEG-ERR');
    expect(m[2]).toMatch(reason);
  });

  it('closes a session after a malformed NEG-MSG', async () => {
    client.send(['NEG-OPEN', 'e2', { kinds: [7] }, '6100000200']);
    expect((await negReply(client, 'e2'))[0]).toBe('NEG-MSG');
    client.send(['NEG-MSG', 'e2', '6100000305']);
    expect((await negReply(client, 'e2'))[2]).toMatch(/^invalid: unknown range mode 3/);
    client.send(['NEG-MSG', 'e2', '61']);
    expect((await negReply(client, 'e2'))[2]).toMatch(/^closed:/);
  });

  it('answers a NEG-OPEN without a usable subscription id with a NOTICE', async () => {
    client.send(['NEG-OPEN', 42, {}, '61']);
    expect(await client.next((m) => m[0] === 'NOTICE')).toEqual(['NOTICE', 'invalid: NEG-OPEN needs a subscription id of 1 to 64 characters']);
  });

  it('keeps at most NEGENTROPY_MAX_SESSIONS per connection; NEG-CLOSE and re-opening an id free a place', async () => {
    const c = await TestClient.connect(peer.url);
    const open = async (id: string) => {
      c.send(['NEG-OPEN', id, { kinds: [7] }, '6100000200']);
      return (await negReply(c, id)).slice(0, 3);
    };
    expect((await open('s1'))[0]).toBe('NEG-MSG');
    expect((await open('s2'))[0]).toBe('NEG-MSG');
    expect((await open('s1'))[0]).toBe('NEG-MSG');
    expect(await open('s3')).toEqual(['NEG-ERR', 's3', 'blocked: more than 2 open negentropy sessions']);
    c.send(['NEG-CLOSE', 's1']);
    c.send(['NEG-MSG', 's1', '61']);
    expect((await negReply(c, 's1'))[2]).toMatch(/^closed:/);
    expect((await open('s3'))[0]).toBe('NEG-MSG');
    // Sessions belong to their connection.
    expect((await open('s3'))[0]).toBe('NEG-MSG');
    client.send(['NEG-MSG', 's2', '61']);
    expect((await negReply(client, 's2'))[2]).toMatch(/^closed:/);
    await c.close();
  });

  it('works with nostr-tools NegentropySync, the common client', async () => {
    const { NegentropySync, NegentropyStorageVector } = (await import('../../node_modules/nostr-tools/lib/esm/nip77.js' as string)) as {
      NegentropyStorageVector: new () => { insert(t: number, id: string): void; seal(): void };
      NegentropySync: new (
        relay: AbstractRelay,
        storage: unknown,
        filter: object,
        params: { onhave: (id: string) => void; onneed: (id: string) => void; onclose: (reason?: string) => void },
      ) => { start(): Promise<void> };
    };
    const relay = new AbstractRelay(peer.url, { verifyEvent, websocketImplementation: WebSocket as never });
    await relay.connect();
    const mine = byAuthor(alice).slice(0, 100);
    const storage = new NegentropyStorageVector();
    for (const e of mine) storage.insert(e.created_at, e.id);
    storage.seal();
    const need = new Set<string>();
    const have = new Set<string>();
    const closed = new Promise<string | undefined>((resolve) => {
      void new NegentropySync(relay, storage, { kinds: [1] }, {
        onhave: (id) => have.add(id),
        onneed: (id) => need.add(id),
        onclose: resolve,
      }).start();
    });
    expect(await closed).toBeUndefined();
    expect(have).toEqual(new Set());
    expect(need).toEqual(ids([...byAuthor(alice).slice(100), ...byAuthor(bob)]));
    relay.close();
  });

  it('is listed in NIP-11', async () => {
    const info = (await (await fetch(peer.httpUrl, { headers: { accept: 'application/nostr+json' } })).json()) as { supported_nips: number[] };
    expect(info.supported_nips).toContain(77);
  });
});
