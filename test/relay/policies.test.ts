import { describe, expect, it } from 'vitest';
import { normalizeIp } from '../../src/config/ip-list';
import { loadConfig } from '../../src/config/load';
import { powDifficulty } from '../../src/nostr/pow';
import { clientIp } from '../../src/http/client-ip';
import { TokenBuckets } from '../../src/http/token-buckets';
import { startPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { authEvent, challenge, connectFrom, mine, sendAuth, upgradeStatus } from '../helpers/nips';

const now = () => Math.floor(Date.now() / 1000);
const nip11 = async (httpUrl: string) =>
  (await (await fetch(httpUrl, { headers: { Accept: 'application/nostr+json' } })).json()) as {
    supported_nips: number[];
    limitation: Record<string, unknown>;
  };

describe('NIP-13 proof of work', () => {
  it('counts leading zero bits of the id', () => {
    expect(powDifficulty('f'.repeat(64))).toBe(0);
    expect(powDifficulty('7' + 'f'.repeat(63))).toBe(1);
    expect(powDifficulty('00' + '1' + 'f'.repeat(61))).toBe(11);
    expect(powDifficulty('0'.repeat(64))).toBe(256);
  });

  it('refuses events below MIN_POW_DIFFICULTY, or committing to a lower target, with "pow:"', async () => {
    const p = await startPeer({ MIN_POW_DIFFICULTY: 10 });
    const c = await TestClient.connect(p.url);
    const s = signer();
    const plain = s.sign({ content: 'no work' });
    if (powDifficulty(plain.id) < 10) expect((await c.publish(plain))[3]).toMatch(/^pow: difficulty \d+ is less than 10/);
    const lucky = mine(s, { content: 'committed low' }, 10, 4);
    expect((await c.publish(lucky))[3]).toBe('pow: committed target 4 is less than 10');
    const worked = mine(s, { content: 'worked' }, 10);
    expect(await c.publish(worked)).toEqual(['OK', worked.id, true, '']);
    expect((await nip11(p.httpUrl)).limitation.min_pow_difficulty).toBe(10);
    await c.close();
    await p.stop();
  });
});

describe('NIP-22 created_at limits', () => {
  it('refuses events older than CREATED_AT_LOWER_LIMIT or newer than CREATED_AT_UPPER_LIMIT allows', async () => {
    const p = await startPeer({ CREATED_AT_LOWER_LIMIT: 3600, CREATED_AT_UPPER_LIMIT: 60 });
    const c = await TestClient.connect(p.url);
    const s = signer();
    expect((await c.publish(s.sign({ created_at: now() - 7200 })))[3]).toMatch(/^invalid: created_at is more than 3600 seconds in the past/);
    expect((await c.publish(s.sign({ created_at: now() + 600 })))[3]).toMatch(/^invalid: created_at is more than 60 seconds in the future/);
    expect((await c.publish(s.sign({ created_at: now() - 60 })))[2]).toBe(true);
    expect((await nip11(p.httpUrl)).limitation).toMatchObject({ created_at_lower_limit: 3600, created_at_upper_limit: 60 });
    await c.close();
    await p.stop();
  });
});

describe('pubkey block and allow lists', () => {
  it('refuses events and AUTH from BLOCKED_PUBKEYS with "blocked:"', async () => {
    const bad = signer();
    const p = await startPeer({ BLOCKED_PUBKEYS: bad.pubkey });
    const c = await TestClient.connect(p.url);
    expect((await c.publish(bad.sign({ content: 'spam' })))[3]).toMatch(/^blocked: /);
    expect((await c.publish(signer().sign({ content: 'fine' })))[2]).toBe(true);
    await c.publish(signer().sign({ tags: [['-']] })); // gets a challenge sent
    expect((await sendAuth(c, authEvent(bad, await challenge(c), p.url)))[3]).toMatch(/^blocked: /);
    await c.close();
    await p.stop();
  });

  it('with ALLOWED_PUBKEYS accepts only their events, and says restricted_writes', async () => {
    const member = signer();
    const p = await startPeer({ ALLOWED_PUBKEYS: member.pubkey });
    const c = await TestClient.connect(p.url);
    expect((await c.publish(member.sign({})))[2]).toBe(true);
    expect((await c.publish(signer().sign({})))[3]).toMatch(/^blocked: /);
    expect((await nip11(p.httpUrl)).limitation.restricted_writes).toBe(true);
    await c.close();
    await p.stop();
  });
});

describe('IP block and allow lists', () => {
  it('refuses BLOCKED_IPS (addresses and subnets) at upgrade with HTTP 403 "blocked:"', async () => {
    const p = await startPeer({ TRUSTED_PROXIES: '127.0.0.1', BLOCKED_IPS: '10.9.9.9, 192.168.0.0/16, 2001:db8::/32' });
    for (const ip of ['10.9.9.9', '192.168.4.5', '2001:db8::1']) {
      const r = await upgradeStatus(p.url, { 'x-forwarded-for': ip });
      expect(r.status, ip).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/^blocked: /);
    }
    expect((await upgradeStatus(p.url, { 'x-forwarded-for': '10.9.9.8' })).status).toBe(101);
    expect((await upgradeStatus(p.url)).status).toBe(101);
    await p.stop();
  });

  it('with ALLOWED_IPS admits only them', async () => {
    const p = await startPeer({ TRUSTED_PROXIES: '127.0.0.1', ALLOWED_IPS: '10.0.0.0/8' });
    expect((await upgradeStatus(p.url, { 'x-forwarded-for': '10.1.2.3' })).status).toBe(101);
    expect((await upgradeStatus(p.url, { 'x-forwarded-for': '11.1.2.3' })).status).toBe(403);
    expect((await upgradeStatus(p.url)).status).toBe(403);
    await p.stop();
  });

  it('believes X-Forwarded-For only from TRUSTED_PROXIES', async () => {
    // 127.0.0.1 is not a trusted proxy here: the header is the client's word and is ignored
    const p = await startPeer({ BLOCKED_IPS: '10.9.9.9' });
    expect((await upgradeStatus(p.url, { 'x-forwarded-for': '10.9.9.9' })).status).toBe(101);
    await p.stop();
    const q = await startPeer({ BLOCKED_IPS: '127.0.0.1', TRUSTED_PROXIES: '10.0.0.1' });
    expect((await upgradeStatus(q.url, { 'x-forwarded-for': '8.8.8.8' })).status).toBe(403);
    await q.stop();
  });

  it('reads the rightmost untrusted X-Forwarded-For hop and normalizes addresses', () => {
    const trusted = loadConfig({ TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' }).trustedProxies;
    expect(clientIp('127.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.7', trusted)).toBe('1.2.3.4');
    expect(clientIp('127.0.0.1', '10.0.0.7', trusted)).toBe('10.0.0.7');
    expect(clientIp('127.0.0.1', 'garbage', trusted)).toBe('127.0.0.1');
    expect(clientIp('9.9.9.9', '1.2.3.4', trusted)).toBe('9.9.9.9');
    expect(clientIp('0000:0000:0000:0000:0000:ffff:7f00:0001', '1.2.3.4', trusted)).toBe('1.2.3.4');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
  });
});

describe('settings', () => {
  it('parse with their defaults', () => {
    const c = loadConfig({});
    expect(c.minPowDifficulty).toBe(0);
    expect(c.authRequired).toBe(false);
    expect(c.protectedDms).toBe(false);
    expect(c.rateEventsPerIp).toEqual({ count: 1200, seconds: 60 });
    expect(c.maxConnectionsPerIp).toBe(200);
    expect(c.blockedPubkeys.size).toBe(0);
    expect(c.trustedProxies.size).toBe(0);
    expect(loadConfig({ RATE_REQS_PER_IP: '0' }).rateReqsPerIp).toBeNull();
  });

  it.each([
    ['RATE_EVENTS_PER_IP', '10', /^RATE_EVENTS_PER_IP="10" is invalid: expected "<count>\/<seconds>"/],
    ['RATE_COUNTS_PER_IP', '0/60', /^RATE_COUNTS_PER_IP="0\/60" is invalid/],
    ['AUTH_REQUIRED', 'maybe', /^AUTH_REQUIRED="maybe" is invalid: expected true or false/],
    ['BLOCKED_IPS', '10.0.0.0/33', /^BLOCKED_IPS=.* is invalid: bad prefix length/],
    ['TRUSTED_PROXIES', 'proxy.local', /^TRUSTED_PROXIES=.* is invalid: expected IP addresses/],
    ['ALLOWED_PUBKEYS', 'npub1x', /^ALLOWED_PUBKEYS=.* is invalid/],
    ['BACKPRESSURE_LIMIT', '10', /^BACKPRESSURE_LIMIT="10" is invalid/],
  ])('refuses %s=%s with one line naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('token buckets allow a burst of `count`, then refill at count/seconds', () => {
    let t = 0;
    const b = new TokenBuckets({ count: 3, seconds: 3 }, () => t);
    expect([b.take('k'), b.take('k'), b.take('k'), b.take('k')]).toEqual([true, true, true, false]);
    expect(b.take('other')).toBe(true);
    expect(b.wait('k')).toBe(1);
    t = 1000;
    expect([b.take('k'), b.take('k')]).toEqual([true, false]);
    t = 100_000;
    expect([b.take('k'), b.take('k'), b.take('k'), b.take('k')]).toEqual([true, true, true, false]);
  });
});

describe('NIP-11', () => {
  it('lists exactly the NIPs that work', async () => {
    const p = await startPeer();
    const info = await nip11(p.httpUrl);
    expect(info.supported_nips).toEqual(expect.arrayContaining([1, 9, 11, 13, 22, 40, 42, 45, 50, 70]));
    expect(info.limitation).toMatchObject({ min_pow_difficulty: 0, auth_required: false });
    await p.stop();
  });
});

describe('a client behind a trusted proxy', () => {
  it('is limited by its forwarded address, not the proxy’s', async () => {
    const p = await startPeer({ TRUSTED_PROXIES: '127.0.0.1', RATE_EVENTS_PER_IP: '2/3600' });
    const a = await connectFrom(p.url, '10.0.0.1');
    const b = await connectFrom(p.url, '10.0.0.2');
    const s = signer();
    expect((await a.publish(s.sign({})))[2]).toBe(true);
    expect((await a.publish(s.sign({})))[2]).toBe(true);
    expect((await a.publish(s.sign({})))[3]).toMatch(/^rate-limited: /);
    expect((await b.publish(s.sign({})))[2]).toBe(true);
    await Promise.all([a.close(), b.close()]);
    await p.stop();
  });
});
