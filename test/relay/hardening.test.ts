import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { count } from '../helpers/nips';

// Cases from a review of the relay's abuse paths.
const OFF = { RATE_EVENTS_PER_IP: 0, RATE_EVENTS_PER_PUBKEY: 0, RATE_REQS_PER_IP: 0, RATE_COUNTS_PER_IP: 0 };

describe('hardening', () => {
  let peer: StartedPeer;
  let c: TestClient;
  beforeAll(async () => {
    peer = await startPeer({ ...OFF, RATE_EVENTS_PER_PUBKEY: '3/3600' });
    c = await TestClient.connect(peer.url);
  });
  afterAll(async () => {
    await c.close();
    await peer.stop();
  });

  it("replaying someone's stored event does not spend their per-pubkey allowance", async () => {
    const victim = signer();
    const first = victim.sign({ content: 'original' });
    expect((await c.publish(first))[2]).toBe(true);
    const attacker = await TestClient.connect(peer.url);
    for (let i = 0; i < 5; i++) expect((await attacker.publish(first))[3]).toMatch(/^duplicate:/);
    expect((await c.publish(victim.sign({ content: 'second' })))[2]).toBe(true);
    expect((await c.publish(victim.sign({ content: 'third' })))[2]).toBe(true);
    expect((await c.publish(victim.sign({ content: 'fourth' })))[3]).toMatch(/^rate-limited:/);
    await attacker.close();
  });

  it('says "duplicate" of a copy still in an open commit only after that commit is on disk', async () => {
    const ev = signer().sign({ content: 'twice in one burst' });
    const burst = await TestClient.connect(peer.url);
    burst.send(['EVENT', ev]);
    burst.send(['EVENT', ev]);
    const first = await burst.next((m) => m[0] === 'OK');
    const second = await burst.next((m) => m[0] === 'OK');
    // the stored answer comes first: the duplicate's waited for the same commit
    expect(first).toEqual(['OK', ev.id, true, '']);
    expect(second).toEqual(['OK', ev.id, true, expect.stringMatching(/^duplicate:/)]);
    await burst.close();
  });

  it('a refused COUNT does not end a live REQ of the same id', async () => {
    const author = signer();
    await c.req('live', { authors: [author.pubkey] });
    expect(await count(c, 'live', { bogus: 1 })).toEqual(['CLOSED', 'live', expect.stringMatching(/^invalid: /)]);
    const ev = author.sign({ content: 'still live' });
    const other = await TestClient.connect(peer.url);
    await other.publish(ev);
    expect((await c.next((m) => m[0] === 'EVENT' && m[1] === 'live'))[2]).toEqual(ev);
    await other.close();
  });

  it('refuses a filter with too many values in all, before any SQL', async () => {
    const hex = (n: number) => n.toString(16).padStart(64, '0');
    const filter = { ids: Array.from({ length: 1000 }, (_, i) => hex(i)), authors: Array.from({ length: 1000 }, (_, i) => hex(i + 5000)), '#e': ['x'] };
    expect((await c.req('big', filter)).closed).toMatch(/^invalid: the filter has more than 2000 values in all/);
  });

  it('serves a long tag value by REQ as it does live', async () => {
    const s = signer();
    const long = 'v'.repeat(3000);
    const ev = s.sign({ tags: [['t', long]] });
    expect((await c.publish(ev))[2]).toBe(true);
    expect((await c.req('long', { '#t': [long] })).events.map((e) => e.id)).toEqual([ev.id]);
  });
});

const seen = (c: TestClient, type: string, key: string) => c.messages.some((m) => m[0] === type && m[1] === key);

describe('a REQ right behind an EVENT', () => {
  it('gets the event once: from the stored answer or live, never both', async () => {
    const p = await startPeer(OFF);
    const c = await TestClient.connect(p.url);
    const s = signer();
    for (let i = 0; i < 20; i++) {
      const e = s.sign({ content: `race ${i}` });
      // same event-loop turn on the server: the REQ runs while the EVENT's commit is still open
      c.send(['EVENT', e]);
      c.send(['REQ', `r${i}`, { ids: [e.id] }]);
      // the OK and the EOSE may come in either order
      for (let t = 0; t < 500 && !(seen(c, 'OK', e.id) && seen(c, 'EOSE', `r${i}`)); t++) await new Promise((r) => setTimeout(r, 10));
    }
    await c.req('marker', { ids: ['0'.repeat(64)] }); // everything sent before it has arrived
    for (let i = 0; i < 20; i++) expect(c.messages.filter((m) => m[0] === 'EVENT' && m[1] === `r${i}`), `r${i}`).toHaveLength(1);
    await c.close();
    await p.stop();
  });
});

describe('NEG-OPEN follows the read rules', () => {
  it('refuses an unauthenticated reconciliation under AUTH_REQUIRED, and past the per-IP REQ rate', async () => {
    const p = await startPeer({ ...OFF, AUTH_REQUIRED: 'true', PUBLIC_URL: 'wss://relay.test' });
    const c = await TestClient.connect(p.url);
    c.send(['NEG-OPEN', 'n', {}, '6100000200']);
    expect(await c.next((m) => m[0] === 'NEG-ERR')).toEqual(['NEG-ERR', 'n', expect.stringMatching(/^auth-required: /)]);
    await c.close();
    await p.stop();

    const q = await startPeer({ ...OFF, RATE_REQS_PER_IP: '2/3600' });
    const d = await TestClient.connect(q.url);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      d.send(['NEG-OPEN', `n${i}`, {}, '6100000200']);
      answers.push(await d.next((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === `n${i}`));
    }
    expect(answers.map((m) => m[0])).toEqual(['NEG-MSG', 'NEG-MSG', 'NEG-ERR']);
    expect(answers[2][2]).toMatch(/^rate-limited: /);
    await d.close();
    await q.stop();
  });
});
