import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { closed, connectFrom, count, upgradeStatus } from '../helpers/nips';

// Every limit here is set far below its default and refills over an hour, so no test depends on timing.
const OFF = { RATE_EVENTS_PER_IP: 0, RATE_EVENTS_PER_PUBKEY: 0, RATE_REQS_PER_IP: 0, RATE_COUNTS_PER_IP: 0 };

describe('rate limits (token buckets per IP and per pubkey)', () => {
  it('answers EVENTs over the per-IP rate with OK false "rate-limited:", valid or not', async () => {
    const p = await startPeer({ ...OFF, RATE_EVENTS_PER_IP: '5/3600' });
    const c = await TestClient.connect(p.url);
    const s = signer();
    const bad = s.sign({});
    for (let i = 0; i < 2; i++) expect((await c.publish({ ...bad, sig: '0'.repeat(128) }))[3]).toMatch(/^invalid: /);
    for (let i = 0; i < 3; i++) expect((await c.publish(s.sign({})))[2]).toBe(true);
    const over = s.sign({ content: 'over' });
    expect(await c.publish(over)).toEqual(['OK', over.id, false, expect.stringMatching(/^rate-limited: /)]);
    expect((await c.req('over', { ids: [over.id] })).events).toEqual([]);
    // a new connection from the same address shares the bucket
    const c2 = await TestClient.connect(p.url);
    expect((await c2.publish(s.sign({})))[3]).toMatch(/^rate-limited: /);
    await Promise.all([c.close(), c2.close()]);
    await p.stop();
  });

  it('limits events per author; forged events cannot spend the author’s tokens', async () => {
    const p = await startPeer({ ...OFF, RATE_EVENTS_PER_PUBKEY: '3/3600' });
    const c = await TestClient.connect(p.url);
    const victim = signer();
    const forger = signer();
    for (let i = 0; i < 10; i++) {
      const fake = forger.sign({ content: `forged ${i}` });
      expect((await c.publish({ ...fake, pubkey: victim.pubkey }))[3]).toMatch(/^invalid: /);
    }
    for (let i = 0; i < 3; i++) expect((await c.publish(victim.sign({ content: `real ${i}` })))[2]).toBe(true);
    expect((await c.publish(victim.sign({ content: 'one too many' })))[3]).toMatch(/^rate-limited: .*pubkey/);
    expect((await c.publish(signer().sign({ content: 'someone else' })))[2]).toBe(true);
    await c.close();
    await p.stop();
  });

  it('closes REQs over the per-IP rate with CLOSED "rate-limited:"', async () => {
    const p = await startPeer({ ...OFF, RATE_REQS_PER_IP: '3/3600' });
    const c = await TestClient.connect(p.url);
    for (let i = 0; i < 3; i++) expect((await c.req(`ok${i}`, { limit: 1 })).closed).toBeUndefined();
    expect((await c.req('over', { limit: 1 })).closed).toMatch(/^rate-limited: /);
    // the refused REQ opened no subscription
    const s = signer();
    const e = s.sign({ content: 'live' });
    await c.publish(e);
    expect(c.messages.filter((m) => m[0] === 'EVENT' && m[1] === 'over')).toEqual([]);
    await c.close();
    await p.stop();
  });

  it('a refused REQ that reuses an open subscription id ends that subscription', async () => {
    const p = await startPeer({ ...OFF, RATE_REQS_PER_IP: '1/3600' });
    const c = await TestClient.connect(p.url);
    const s = signer();
    await c.req('sub', { authors: [s.pubkey] });
    expect((await c.req('sub', { authors: [s.pubkey] })).closed).toMatch(/^rate-limited: /);
    await c.publish(s.sign({ content: 'after the CLOSED' }));
    await c.publish(signer().sign({})); // a round trip: anything fanned out to 'sub' would have arrived by now
    expect(c.messages.filter((m) => m[0] === 'EVENT' && m[1] === 'sub')).toEqual([]);
    await c.close();
    await p.stop();
  });

  it('closes COUNTs over the per-IP rate with CLOSED "rate-limited:"', async () => {
    const p = await startPeer({ ...OFF, RATE_COUNTS_PER_IP: '2/3600' });
    const c = await TestClient.connect(p.url);
    expect((await count(c, 'a', {}))[0]).toBe('COUNT');
    expect((await count(c, 'b', {}))[0]).toBe('COUNT');
    expect(await count(c, 'c', {})).toEqual(['CLOSED', 'c', expect.stringMatching(/^rate-limited: /)]);
    // REQs have their own bucket
    expect((await c.req('r', { limit: 1 })).closed).toBeUndefined();
    await c.close();
    await p.stop();
  });

  it('answers new connections over the per-IP rate with HTTP 429 JSON and Retry-After', async () => {
    const p = await startPeer({ TRUSTED_PROXIES: '127.0.0.1', RATE_CONNECTIONS_PER_IP: '3/3600' });
    const from = (ip: string) => upgradeStatus(p.url, { 'x-forwarded-for': ip });
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1')).status).toBe(101);
    const refused = await from('10.0.0.1');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toEqual({ error: expect.stringMatching(/^rate-limited: /) });
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await from('10.0.0.2')).status).toBe(101);
    await p.stop();
  });

  it('limits open connections per IP, and frees a slot when one closes', async () => {
    const p = await startPeer({ TRUSTED_PROXIES: '127.0.0.1', MAX_CONNECTIONS_PER_IP: 2 });
    const a = await connectFrom(p.url, '10.0.0.1');
    const b = await connectFrom(p.url, '10.0.0.1');
    const third = await upgradeStatus(p.url, { 'x-forwarded-for': '10.0.0.1' });
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error).toMatch(/^rate-limited: more than 2 open connections/);
    expect((await upgradeStatus(p.url, { 'x-forwarded-for': '10.0.0.2' })).status).toBe(101);
    await a.close();
    // the server sees the close a moment later: retry a bounded number of times
    let status = 0;
    for (let i = 0; i < 50 && status !== 101; i++) {
      const r = await upgradeStatus(p.url, { 'x-forwarded-for': '10.0.0.1' });
      status = r.status;
      if (status !== 101) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe(101);
    await b.close();
    await p.stop();
  });
});

describe('backpressure', () => {
  it('sends a slow reader a NOTICE and drops it once its unsent bytes pass BACKPRESSURE_LIMIT; others are served', async () => {
    const p = await startPeer({ BACKPRESSURE_LIMIT: 65536 });
    const writer = await TestClient.connect(p.url);
    const s = signer();
    for (let i = 0; i < 20; i++) await writer.publish(s.sign({ content: `${i} ${'x'.repeat(100_000)}` }));

    const slow = await TestClient.connect(p.url);
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    // ~50 MB of answers asked for, never read: far more than the kernel's socket buffers take
    for (let i = 0; i < 25; i++) slow.send(['REQ', `big${i}`, { authors: [s.pubkey] }]);
    // round trips on another connection let the server get through the slow client's REQs first
    for (let i = 0; i < 3; i++) await writer.req(`sync${i}`, { limit: 0 });
    socket.resume();

    expect(await closed(slow)).toBe(1008);
    const notice = slow.messages.find((m) => m[0] === 'NOTICE');
    expect(notice?.[1]).toMatch(/^error: more than 65536 bytes waiting to be read/);
    // it got some answers but not all 25 (it was dropped), and nothing after the NOTICE
    expect(slow.messages.filter((m) => m[0] === 'EOSE').length).toBeLessThan(25);
    expect(slow.messages.at(-1)).toEqual(notice);

    const fine = signer().sign({ content: 'still serving' });
    expect((await writer.publish(fine))[2]).toBe(true);
    expect((await writer.req('fine', { ids: [fine.id] })).events).toHaveLength(1);
    await writer.close();
    await p.stop();
  });
});
