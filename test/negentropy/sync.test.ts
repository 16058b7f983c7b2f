import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { NostrEvent } from '../../src/nostr/event';
import { itemSetOf } from '../../src/nostr/negentropy';
import { startPeer, type StartedPeer } from '../../src/library';
import { reconcileWithRelay, RelayLink, syncRelays } from '../../src/sync';
import { signer, TestClient } from '../helpers/client';

// Small messages on both peers, so every listing and reconciliation takes several NEG-MSG frames.
const SETTINGS = { MAX_MESSAGE_BYTES: 16_384 };
let a: StartedPeer;
let b: StartedPeer;

async function publish(url: string, events: NostrEvent[]): Promise<void> {
  const c = await TestClient.connect(url);
  const oks = events.map((e) => c.next((m) => m[0] === 'OK' && m[1] === e.id));
  for (const e of events) c.send(['EVENT', e]);
  const answers = await Promise.all(oks);
  await c.close();
  expect(answers.filter((m) => m[2] !== true)).toEqual([]);
}

/** Every id the peer serves, by REQ. */
async function served(url: string, filter: object = {}): Promise<Set<string>> {
  const c = await TestClient.connect(url);
  const { events, closed } = await c.req('all', { ...filter, limit: 5000 });
  await c.close();
  expect(closed).toBeUndefined();
  return new Set(events.map((e) => e.id));
}

const alice = signer();
const bob = signer();
const base = Math.floor(Date.now() / 1000) - 5000;
// Twenty events a second, notes and reactions, from two authors.
const make = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => (i % 2 ? alice : bob).sign({ kind: i % 5 === 0 ? 7 : 1, created_at: base + Math.floor(i / 20), content: `${tag} ${i}` }));
const shared = make(300, 'shared');
const onlyA = make(170, 'only on A');
const onlyB = make(130, 'only on B');

beforeAll(async () => {
  [a, b] = await Promise.all([startPeer(SETTINGS), startPeer(SETTINGS)]);
  await publish(a.url, [...shared, ...onlyA]);
  await publish(b.url, [...shared, ...onlyB]);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

describe('negentropy sync between two peers', () => {
  it('reconcileWithRelay gives a client its have and need against a peer', async () => {
    const link = await RelayLink.open(a.url, WebSocket);
    const mine = [...shared.slice(0, 250), ...onlyB];
    const r = await reconcileWithRelay(link, {}, itemSetOf(mine), { frameSizeLimit: 4096 });
    link.close();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(new Set(r.have)).toEqual(new Set(onlyB.map((e) => e.id)));
    expect(new Set(r.need)).toEqual(new Set([...shared.slice(250), ...onlyA].map((e) => e.id)));
    expect(r.rounds).toBeGreaterThan(1);
  });

  it('reports the relay refusal as a value', async () => {
    const link = await RelayLink.open(a.url, WebSocket);
    const r = await reconcileWithRelay(link, { kinds: 'all' } as never, itemSetOf([]));
    link.close();
    expect(r).toEqual({ ok: false, reason: 'invalid: "kinds" must be an array of integers from 0 to 65535' });
  });

  it('syncs only what the filter selects', async () => {
    const r = await syncRelays(a.url, b.url, { kinds: [7] }, { WebSocket });
    const reactions = (es: NostrEvent[]) => es.filter((e) => e.kind === 7).length;
    expect(r).toEqual({ ok: true, toB: reactions(onlyA), toA: reactions(onlyB), refused: [] });
    expect(await served(a.url, { kinds: [7] })).toEqual(await served(b.url, { kinds: [7] }));
    expect(await served(a.url, { kinds: [1] })).not.toEqual(await served(b.url, { kinds: [1] }));
  });

  it('two peers converge to the same event set, and a second sync has nothing to do', async () => {
    const before = { a: await served(a.url), b: await served(b.url) };
    expect(before.a).not.toEqual(before.b);
    const r = await syncRelays(a.url, b.url, {}, { WebSocket, frameSizeLimit: 4096 });
    const notes = (es: NostrEvent[]) => es.filter((e) => e.kind === 1).length;
    expect(r).toEqual({ ok: true, toB: notes(onlyA), toA: notes(onlyB), refused: [] });

    const after = { a: await served(a.url), b: await served(b.url) };
    const everything = new Set([...shared, ...onlyA, ...onlyB].map((e) => e.id));
    expect(after.a).toEqual(everything);
    expect(after.b).toEqual(everything);

    expect(await syncRelays(b.url, a.url, {}, { WebSocket })).toEqual({ ok: true, toB: 0, toA: 0, refused: [] });
  });

  it('fails with a reason when a relay cannot be reached', async () => {
    const r = await syncRelays(a.url, 'ws://127.0.0.1:1', {}, { WebSocket, timeoutMs: 2000 });
    expect(r).toEqual({ ok: false, reason: 'error: cannot connect to ws://127.0.0.1:1' });
  });
});
