import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { count } from '../helpers/nips';

let peer: StartedPeer;
let client: TestClient;
const alice = signer();
const bob = signer();
const topic = 'a'.repeat(63) + 'c';

beforeAll(async () => {
  peer = await startPeer({ MAX_FILTERS: 3 });
  client = await TestClient.connect(peer.url);
  for (let i = 0; i < 5; i++) await client.publish(alice.sign({ content: `alice ${i}`, tags: i < 2 ? [['e', topic]] : [] }));
  for (let i = 0; i < 3; i++) await client.publish(bob.sign({ kind: 7, content: '+', tags: [['e', topic]] }));
});
afterAll(async () => {
  await client.close();
  await peer.stop();
});

describe('NIP-45 COUNT', () => {
  it('counts the stored events matching a filter, ignoring limit', async () => {
    expect(await count(client, 'c1', { authors: [alice.pubkey] })).toEqual(['COUNT', 'c1', { count: 5 }]);
    expect(await count(client, 'c2', { authors: [alice.pubkey], limit: 1 })).toEqual(['COUNT', 'c2', { count: 5 }]);
    expect(await count(client, 'c3', { '#e': [topic], kinds: [7] })).toEqual(['COUNT', 'c3', { count: 3 }]);
    expect(await count(client, 'c4', { authors: [] })).toEqual(['COUNT', 'c4', { count: 0 }]);
  });

  it('counts each event once across several filters', async () => {
    expect(await count(client, 'or', { authors: [alice.pubkey] }, { '#e': [topic] })).toEqual(['COUNT', 'or', { count: 8 }]);
  });

  it('does not count deleted events', async () => {
    const carol = signer();
    const e = carol.sign({ content: 'to delete' });
    await client.publish(e);
    expect((await count(client, 'before', { authors: [carol.pubkey], kinds: [1] }))[2]).toEqual({ count: 1 });
    await client.publish(carol.sign({ kind: 5, tags: [['e', e.id]] }));
    expect((await count(client, 'after', { authors: [carol.pubkey], kinds: [1] }))[2]).toEqual({ count: 0 });
  });

  it('opens no subscription: a later matching event is not sent', async () => {
    const dave = signer();
    await count(client, 'nosub', { authors: [dave.pubkey] });
    await client.publish(dave.sign({ content: 'later' }));
    await client.req('marker', { ids: ['0'.repeat(64)] });
    expect(client.messages.filter((m) => m[1] === 'nosub' && m[0] === 'EVENT')).toEqual([]);
  });

  it('refuses bad COUNTs like bad REQs', async () => {
    expect(await count(client, 'bad', { kinds: ['x'] })).toEqual(['CLOSED', 'bad', expect.stringMatching(/^invalid: "kinds"/)]);
    expect((await count(client, 'none'))[2]).toMatch(/^invalid: COUNT needs at least one filter/);
    expect((await count(client, 'many', {}, {}, {}, {}))[2]).toMatch(/^invalid: more than 3 filters/);
    client.send(['COUNT', 7, {}]);
    expect((await client.next((m) => m[0] === 'NOTICE'))[1]).toMatch(/^invalid: subscription id/);
  });

  it('stops at MAX_COUNT and says the number is approximate', async () => {
    const p = await startPeer({ MAX_COUNT: 3 });
    const c = await TestClient.connect(p.url);
    const s = signer();
    for (let i = 0; i < 4; i++) await c.publish(s.sign({ content: `n${i}` }));
    expect(await count(c, 'capped', { authors: [s.pubkey] })).toEqual(['COUNT', 'capped', { count: 3, approximate: true }]);
    expect(await count(c, 'exact', { authors: [s.pubkey], kinds: [1], until: Math.floor(Date.now() / 1000) + 10 }, { ids: [] })).toEqual([
      'COUNT',
      'exact',
      { count: 3, approximate: true },
    ]);
    expect(await count(c, 'under', { authors: [s.pubkey], limit: 2, since: 0, '#e': ['f'.repeat(64)] })).toEqual(['COUNT', 'under', { count: 0 }]);
    await c.close();
    await p.stop();
  });
});
