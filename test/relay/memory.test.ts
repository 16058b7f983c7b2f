import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, type TestClient } from '../helpers/client';
import { connectFrom, count } from '../helpers/nips';

// 1,000 idle connections and one flooding client must not hurt a well-behaved client. Everything runs in this
// process (server and clients), so the memory bound is generous and covers both sides; it is a bound, not a timing.
const IDLE = 1000;
const FLOOD = 3000;

let peer: StartedPeer;
const idle: TestClient[] = [];

beforeAll(async () => {
  peer = await startPeer({
    TRUSTED_PROXIES: '127.0.0.1',
    RATE_EVENTS_PER_IP: '100/3600',
    RATE_REQS_PER_IP: '100/3600',
    RATE_COUNTS_PER_IP: '100/3600',
  });
});
afterAll(async () => {
  await Promise.all(idle.map((c) => c.close()));
  await peer.stop();
});

const mb = (n: number) => Math.round(n / 1024 / 1024);

describe('under load', () => {
  it('keeps serving a well-behaved client through 1,000 idle connections and a flood', async () => {
    const good = await connectFrom(peer.url, '10.0.0.2');
    const friend = signer();
    await good.req('friend', { authors: [friend.pubkey] });
    const before = process.memoryUsage();

    // 1,000 idle connections from 50 addresses (20 each, within the per-IP defaults), opened 100 at a time
    for (let i = 0; i < IDLE; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, (_, j) => connectFrom(peer.url, `10.1.0.${(i + j) % 50}`)));
      idle.push(...batch);
    }
    const withIdle = process.memoryUsage();

    // one client floods: events (valid, duplicate and forged), REQs, COUNTs and garbage, without waiting for answers
    const flooder = await connectFrom(peer.url, '10.0.0.66');
    const spam = signer();
    const spamEvents = Array.from({ length: 20 }, (_, i) => spam.sign({ content: `spam ${i}` }));
    for (let i = 0; i < FLOOD; i++) {
      switch (i % 5) {
        case 0:
          flooder.send(['EVENT', spamEvents[i % spamEvents.length]]);
          break;
        case 1:
          flooder.send(['EVENT', { ...spamEvents[0], content: `forged ${i}` }]);
          break;
        case 2:
          flooder.send(['REQ', `s${i}`, { kinds: [1], limit: 50 }]);
          break;
        case 3:
          flooder.send(['COUNT', `c${i}`, {}]);
          break;
        default:
          flooder.send(`["garbage", ${i}`);
      }
      // meanwhile the well-behaved client is answered as usual
      if (i % 1000 === 500) {
        const mine = friend.sign({ content: `during the flood ${i}` });
        expect(await good.publish(mine)).toEqual(['OK', mine.id, true, '']);
        expect((await good.next((m) => m[0] === 'EVENT' && m[1] === 'friend'))[2]).toEqual(mine);
      }
    }
    flooder.send(['CLOSE', 'end']);
    flooder.send(['REQ', 'end', { limit: 0 }]);
    const end = await flooder.next((m) => m[1] === 'end', 20_000);
    expect(end[0]).toBe('CLOSED'); // its REQ budget is long spent
    const limited = flooder.messages.filter((m) => typeof m[2] === 'string' && m[2].startsWith('rate-limited:')).length;
    const limitedOk = flooder.messages.filter((m) => m[0] === 'OK' && typeof m[3] === 'string' && m[3].startsWith('rate-limited:')).length;
    expect(limited + limitedOk).toBeGreaterThan(FLOOD / 2);
    const after = process.memoryUsage();

    // the well-behaved client still gets full, correct answers
    const last = friend.sign({ content: 'after the flood' });
    expect(await good.publish(last)).toEqual(['OK', last.id, true, '']);
    expect((await good.req('mine', { authors: [friend.pubkey] })).events.map((e) => e.content)).toEqual([
      'after the flood',
      'during the flood 2500',
      'during the flood 1500',
      'during the flood 500',
    ]);
    expect(await count(good, 'n', { authors: [friend.pubkey] })).toEqual(['COUNT', 'n', { count: 4 }]);
    // the idle connections are all still open
    expect(idle.filter((c) => c.closed)).toEqual([]);
    expect(await idle[IDLE - 1].req('idle', { ids: [last.id] })).toMatchObject({ events: [{ id: last.id }] });

    // memory: both ends of 1,000 connections in this process stay well under 100 KB each, and the flood adds little
    const idleGrowth = withIdle.rss - before.rss;
    const floodGrowth = after.heapUsed - withIdle.heapUsed;
    console.log(`rss +${mb(idleGrowth)} MB for ${IDLE} idle connections; heap +${mb(floodGrowth)} MB during the flood`);
    expect(idleGrowth).toBeLessThan(IDLE * 100 * 1024);
    expect(floodGrowth).toBeLessThan(64 * 1024 * 1024);
    await Promise.all([good.close(), flooder.close()]);
  });
});
