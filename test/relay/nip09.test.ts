import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';

let peer: StartedPeer;
let client: TestClient;

beforeAll(async () => {
  peer = await startPeer();
  client = await TestClient.connect(peer.url);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const ids = (r: { events: { id: string }[] }) => r.events.map((e) => e.id);

describe('NIP-09 deletion requests', () => {
  it('deletes the author’s own events named by e tags; the kind 5 is stored and served', async () => {
    const alice = signer();
    const [a1, a2, keep] = [alice.sign({ content: 'one' }), alice.sign({ content: 'two' }), alice.sign({ content: 'keep' })];
    for (const e of [a1, a2, keep]) expect((await client.publish(e))[2]).toBe(true);
    const del = alice.sign({ kind: 5, tags: [['e', a1.id], ['e', a2.id], ['k', '1']], content: 'oops' });
    expect(await client.publish(del)).toEqual(['OK', del.id, true, '']);
    expect(ids(await client.req('after', { authors: [alice.pubkey] }))).toEqual([del.id, keep.id]);
    expect(ids(await client.req('by-id', { ids: [a1.id, a2.id] }))).toEqual([]);
    expect(ids(await client.req('kind5', { kinds: [5], '#e': [a1.id] }))).toEqual([del.id]);
  });

  it('refuses to store a deleted event again with OK false "blocked:"', async () => {
    const alice = signer();
    const e = alice.sign({ content: 'regret' });
    await client.publish(e);
    await client.publish(alice.sign({ kind: 5, tags: [['e', e.id]] }));
    const [, , ok, msg] = await client.publish(e);
    expect(ok).toBe(false);
    expect(msg).toMatch(/^blocked: /);
    expect(ids(await client.req('gone', { ids: [e.id] }))).toEqual([]);
  });

  it('a deletion that arrives before its event still keeps the event out', async () => {
    const alice = signer();
    const late = alice.sign({ content: 'arrives after its deletion' });
    await client.publish(alice.sign({ kind: 5, tags: [['e', late.id]] }));
    expect((await client.publish(late))[3]).toMatch(/^blocked: /);
  });

  it('never deletes someone else’s events, and does not block them either', async () => {
    const alice = signer();
    const mallory = signer();
    const target = alice.sign({ content: 'mine' });
    const unseen = alice.sign({ content: 'not yet published' });
    await client.publish(target);
    expect((await client.publish(mallory.sign({ kind: 5, tags: [['e', target.id], ['e', unseen.id], ['a', `30023:${alice.pubkey}:x`]] })))[2]).toBe(true);
    expect(ids(await client.req('still', { ids: [target.id] }))).toEqual([target.id]);
    expect(await client.publish(unseen)).toEqual(['OK', unseen.id, true, '']);
  });

  it('a tags delete every version of an address up to the request’s created_at; newer versions may come back', async () => {
    const alice = signer();
    const t = now() - 100;
    const v1 = alice.sign({ kind: 30023, tags: [['d', 'post']], content: 'v1', created_at: t });
    const other = alice.sign({ kind: 30023, tags: [['d', 'other']], content: 'other', created_at: t });
    await client.publish(v1);
    await client.publish(other);
    const del = alice.sign({ kind: 5, tags: [['a', `30023:${alice.pubkey}:post`]], created_at: t + 10 });
    expect((await client.publish(del))[2]).toBe(true);
    expect(ids(await client.req('addr', { authors: [alice.pubkey], kinds: [30023] }))).toEqual([other.id]);
    // an older (or equal) version cannot be re-published …
    const old = alice.sign({ kind: 30023, tags: [['d', 'post']], content: 'v0', created_at: t + 5 });
    expect((await client.publish(old))[3]).toMatch(/^blocked: /);
    expect((await client.publish(v1))[3]).toMatch(/^blocked: /);
    // … but a version written after the deletion is a new event
    const v2 = alice.sign({ kind: 30023, tags: [['d', 'post']], content: 'v2', created_at: t + 20 });
    expect(await client.publish(v2)).toEqual(['OK', v2.id, true, '']);
    expect(ids(await client.req('addr2', { authors: [alice.pubkey], kinds: [30023], '#d': ['post'] }))).toEqual([v2.id]);
  });

  it('a tags work for replaceable kinds (empty d)', async () => {
    const alice = signer();
    const t = now() - 100;
    const profile = alice.sign({ kind: 0, content: '{"name":"alice"}', created_at: t });
    await client.publish(profile);
    await client.publish(alice.sign({ kind: 5, tags: [['a', `0:${alice.pubkey}:`]], created_at: t + 1 }));
    expect(ids(await client.req('profile', { authors: [alice.pubkey], kinds: [0] }))).toEqual([]);
    expect((await client.publish(profile))[3]).toMatch(/^blocked: /);
  });

  it('a deletion request against a deletion request has no effect', async () => {
    const alice = signer();
    const note = alice.sign({ content: 'deleted' });
    await client.publish(note);
    const del = alice.sign({ kind: 5, tags: [['e', note.id]] });
    await client.publish(del);
    const undo = alice.sign({ kind: 5, tags: [['e', del.id]] });
    expect((await client.publish(undo))[2]).toBe(true);
    expect(ids(await client.req('dels', { authors: [alice.pubkey], kinds: [5] })).sort()).toEqual([del.id, undo.id].sort());
    expect(ids(await client.req('note', { ids: [note.id] }))).toEqual([]);
  });

  it('ignores malformed targets', async () => {
    const alice = signer();
    const note = alice.sign({ content: 'survives' });
    await client.publish(note);
    const del = alice.sign({ kind: 5, tags: [['e', 'xyz'], ['a', 'not-an-address'], ['a', `1:${alice.pubkey}:x`], ['e']] });
    expect((await client.publish(del))[2]).toBe(true);
    expect(ids(await client.req('survivor', { ids: [note.id] }))).toEqual([note.id]);
  });
});
