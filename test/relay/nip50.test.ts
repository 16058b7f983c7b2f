import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { count } from '../helpers/nips';

let peer: StartedPeer;
let client: TestClient;
const alice = signer();
const bob = signer();
const now = () => Math.floor(Date.now() / 1000);
const ids = (r: { events: { id: string }[] }) => r.events.map((e) => e.id);

// A corpus with a word ("zebrafish") of known frequencies and places, so the ranking is predictable.
const once = alice.sign({ content: 'a long note that mentions zebrafish only once among many other words here' });
const thrice = alice.sign({ content: 'zebrafish zebrafish zebrafish' });
const titled = bob.sign({ kind: 30023, tags: [['d', 'zebrafish-care'], ['title', 'Zebrafish']], content: 'how to keep them' });
const running = bob.sign({ content: 'I was running late to the café', tags: [['t', 'life']] });
const secret = alice.sign({ kind: 4, content: 'zebrafish?iv=abc', tags: [['p', bob.pubkey]] });

beforeAll(async () => {
  peer = await startPeer({ MAX_SUBSCRIPTIONS: 200 });
  client = await TestClient.connect(peer.url);
  for (const e of [once, thrice, titled, running, secret]) expect((await client.publish(e))[2]).toBe(true);
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

describe('NIP-50 search', () => {
  it('finds events by content words, best ranked first (title beats content, more occurrences beat fewer)', async () => {
    expect(ids(await client.req('rank', { search: 'zebrafish' }))).toEqual([titled.id, thrice.id, once.id]);
  });

  it('applies limit to the ranking: the best matches are kept', async () => {
    expect(ids(await client.req('top', { search: 'zebrafish', limit: 1 }))).toEqual([titled.id]);
  });

  it('searches the d tag of long-form articles', async () => {
    expect(ids(await client.req('slug', { search: 'care' }))).toEqual([titled.id]);
  });

  it('stems English words and ignores case and diacritics', async () => {
    expect(ids(await client.req('stem', { search: 'RUN' }))).toEqual([running.id]);
    expect(ids(await client.req('accent', { search: 'cafe' }))).toEqual([running.id]);
  });

  it('requires every word', async () => {
    expect(ids(await client.req('and', { search: 'zebrafish keep' }))).toEqual([titled.id]);
    expect(ids(await client.req('none', { search: 'zebrafish café' }))).toEqual([]);
  });

  it('combines with the other filter fields', async () => {
    expect(ids(await client.req('authors', { search: 'zebrafish', authors: [alice.pubkey] }))).toEqual([thrice.id, once.id]);
    expect(ids(await client.req('kinds', { search: 'zebrafish', kinds: [30023] }))).toEqual([titled.id]);
    expect(ids(await client.req('tag', { search: 'late', '#t': ['life'] }))).toEqual([running.id]);
    expect(ids(await client.req('tag-miss', { search: 'late', '#t': ['work'] }))).toEqual([]);
    expect(ids(await client.req('until', { search: 'zebrafish', until: once.created_at }))).toEqual([once.id]);
  });

  it('never searches ciphertext (DMs)', async () => {
    expect(ids(await client.req('dm', { search: 'zebrafish', kinds: [4] }))).toEqual([]);
  });

  it('ignores NIP-50 extensions and treats the query as words, never as FTS5 syntax', async () => {
    expect(ids(await client.req('ext', { search: 'include:spam language:en zebrafish', authors: [alice.pubkey] }))).toEqual([thrice.id, once.id]);
    for (const q of ['"', 'zebrafish"', '* OR', 'NEAR(zebrafish', 'zebrafish AND NOT', '-zebrafish', '{col}:x', '^zebrafish']) {
      const r = await client.req(`syntax-${q}`, { search: q });
      expect(r.closed, q).toBeUndefined();
    }
    expect(ids(await client.req('quotes', { search: '"zebrafish"', authors: [alice.pubkey] }))).toEqual([thrice.id, once.id]);
  });

  it('matches nothing when the query has no words', async () => {
    expect(ids(await client.req('empty', { search: '' }))).toEqual([]);
    expect(ids(await client.req('punct', { search: '!!! ??' }))).toEqual([]);
  });

  it('refuses a search that is not a string', async () => {
    expect((await client.req('num', { search: 5 })).closed).toMatch(/^invalid: "search"/);
  });

  it('forgets deleted and replaced events', async () => {
    const s = signer();
    const t = now() - 60;
    const note = s.sign({ content: 'quokka sighting' });
    const v1 = s.sign({ kind: 30023, tags: [['d', 'q']], content: 'wombat article', created_at: t });
    const v2 = s.sign({ kind: 30023, tags: [['d', 'q']], content: 'numbat article', created_at: t + 1 });
    for (const e of [note, v1]) await client.publish(e);
    expect(ids(await client.req('q1', { search: 'quokka' }))).toEqual([note.id]);
    expect(ids(await client.req('w1', { search: 'wombat' }))).toEqual([v1.id]);
    await client.publish(s.sign({ kind: 5, tags: [['e', note.id]] }));
    await client.publish(v2);
    expect(ids(await client.req('q2', { search: 'quokka' }))).toEqual([]);
    expect(ids(await client.req('w2', { search: 'wombat' }))).toEqual([]);
    expect(ids(await client.req('n2', { search: 'numbat' }))).toEqual([v2.id]);
  });

  it('sends live events that contain every word', async () => {
    const listener = await TestClient.connect(peer.url);
    await listener.req('live', { search: 'platypus eggs' });
    const miss = signer().sign({ content: 'a platypus without the other word' });
    const hit = signer().sign({ content: 'The platypus lays eggs!' });
    await client.publish(miss);
    await client.publish(hit);
    expect((await listener.next((m) => m[0] === 'EVENT' && m[1] === 'live'))[2]).toEqual(hit);
    await listener.req('marker', { ids: ['0'.repeat(64)] });
    expect(listener.messages.filter((m) => m[0] === 'EVENT' && m[1] === 'live')).toHaveLength(1);
    await listener.close();
  });

  it('counts search matches (NIP-45)', async () => {
    expect(await count(client, 'n', { search: 'zebrafish' })).toEqual(['COUNT', 'n', { count: 3 }]);
  });

  it('merges a search filter with another filter, each event once', async () => {
    const r = ids(await client.req('mix', { search: 'zebrafish', kinds: [30023] }, { ids: [running.id, titled.id] }));
    expect(r).toEqual([titled.id, running.id]);
  });
});
