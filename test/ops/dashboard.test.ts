import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { nip19 } from 'nostr-tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { basicAuthChecker } from '../../src/ops/dashboard/basic-auth';
import type { Dashboard } from '../../src/ops/dashboard/dashboard';
import { History } from '../../src/ops/dashboard/history';
import { ProcessSampler } from '../../src/ops/dashboard/process-sampler';
import { StoreCounter } from '../../src/ops/dashboard/store-counts';
import { EventReader } from '../../src/storage/read-queries';
import { createLogger, onWarnings } from '../../src/ops/logger';
import { RecentErrors } from '../../src/ops/recent-errors';
import { encodeNpub } from '../../src/payments/npub';
import { composePeer } from '../../src/peer/compose-peer';
import { loadConfig, startPeer, type StartedPeer } from '../../src/library';
import { openDatabase } from '../../src/storage/database';
import { signer, TestClient } from '../helpers/client';
import { pay } from '../helpers/payer';

const USER = 'operator';
const PASSWORD = 'correct horse battery staple';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
type Summary = ReturnType<Dashboard['summary']>;
const summaryOf = async (httpUrl: string): Promise<Summary> => {
  const res = await fetch(`${httpUrl}/dashboard/api/summary`, { headers: { authorization: basic(USER, PASSWORD) } });
  expect(res.status).toBe(200);
  return (await res.json()) as Summary;
};

let peer: StartedPeer;
const payers = [signer(), signer(), signer()];

beforeAll(async () => {
  peer = await startPeer({
    DASHBOARD_USER: USER,
    DASHBOARD_PASSWORD: PASSWORD,
    PRICE_BASE: '7',
    ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'alice-token-0123456789', creditLimit: '100000' }]),
  });
  const side = openDatabase(path.join(peer.config.dataDir, 'peer.sqlite'));
  const ledger = new Ledger(side);
  for (const p of payers) ledger.transfer({ debitAccount: 'assets/interledger/alice', creditAccount: balanceAccount(p.pubkey), amount: 1000n });
  // An economic snapshot from before this run (src/ops/economics.ts writes them): history across restarts.
  side
    .prepare('INSERT INTO economic_snapshots (taken_at, events_stored, revenue, balances_outstanding, payers, peer_positions) VALUES (?, 0, 5, 995, 1, ?)')
    .run(Math.floor(Date.now() / 1000) - 600, '{}');
  side.close();
  const c = await TestClient.connect(peer.url);
  // payer i publishes i + 1 events: the top payer is the last one.
  for (const [i, p] of payers.entries()) for (let k = 0; k <= i; k++) expect((await c.publish(p.sign({ content: `e${k}` })))[2]).toBe(true);
  await c.close();
});
afterAll(() => peer.stop());

describe('/dashboard auth', () => {
  it('stops checking guesses from an address after 10 wrong ones, with 429 and Retry-After', async () => {
    const own = await startPeer({ DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD });
    const get = (authorization?: string) =>
      fetch(`${own.httpUrl}/dashboard/api/summary`, authorization ? { headers: { authorization } } : {});
    try {
      // asking without credentials (what a browser does first) is not a guess
      for (let i = 0; i < 12; i++) expect((await get()).status).toBe(401);
      for (let i = 0; i < 10; i++) expect((await get(basic(USER, `guess ${i}`))).status).toBe(401);
      const refused = await get(basic(USER, 'guess 11'));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // not even the right password is checked until the address has a token again
      expect((await get(basic(USER, PASSWORD))).status).toBe(429);
    } finally {
      await own.stop();
    }
  });

  it('counts, shows and logs failed logins with the client address, never the password tried', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'peer-'));
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const config = loadConfig({ PORT: 0, HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD });
    const own = await composePeer(config, createLogger('warn', sink));
    const url = `http://127.0.0.1:${own.port}`;
    try {
      const guesses = [basic(USER, 'hunter2-guess'), basic('admin', PASSWORD), 'Basic !!!'];
      for (const authorization of guesses) expect((await fetch(`${url}/dashboard`, { headers: { authorization } })).status).toBe(401);
      expect((await fetch(`${url}/dashboard`)).status).toBe(401); // no credentials: not a failed login
      const s = await summaryOf(url);
      expect(s.failedLogins.total).toBe(3);
      expect(s.failedLogins.recent).toHaveLength(3);
      expect(s.failedLogins.recent[0]).toEqual({ at: expect.any(String), ip: '127.0.0.1' });
      expect(s.errors).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'dashboard login failed', detail: 'ip=127.0.0.1' }));
      const logged = lines.filter((l) => l.includes('dashboard login failed'));
      expect(logged).toHaveLength(3);
      expect(JSON.parse(logged[0])).toMatchObject({ level: 40, ip: '127.0.0.1' });
      expect(lines.join('')).not.toMatch(/hunter2|admin|correct horse/);
    } finally {
      await own.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('asks for credentials with 401 and WWW-Authenticate when none are sent', async () => {
    for (const route of ['/dashboard', '/dashboard/', '/dashboard/dashboard.js', '/dashboard/format.js', '/dashboard/api/summary']) {
      const res = await fetch(peer.httpUrl + route);
      expect(res.status, route).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
      expect(await res.text()).not.toMatch(/summary|<html/i);
    }
  });

  it('refuses a wrong password, a wrong user and a malformed header', async () => {
    for (const authorization of [basic(USER, 'wrong'), basic('root', PASSWORD), basic(USER, `${PASSWORD}x`), 'Basic !!!', `Bearer ${PASSWORD}`, basic(USER, '')]) {
      const res = await fetch(`${peer.httpUrl}/dashboard/api/summary`, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
  });

  it('serves the page, its assets and the summary with the right credentials, locked down', async () => {
    const headers = { authorization: basic(USER, PASSWORD) };
    const page = await fetch(`${peer.httpUrl}/dashboard`, { headers });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toMatch(/<script src="\/dashboard\/dashboard\.js"/);
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
    for (const [asset, type] of [['dashboard.js', 'text/javascript'], ['format.js', 'text/javascript'], ['dashboard.css', 'text/css'], ['favicon.svg', 'image/svg+xml']]) {
      const res = await fetch(`${peer.httpUrl}/dashboard/${asset}`, { headers });
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type')!.startsWith(type), asset).toBe(true);
    }
    expect((await fetch(`${peer.httpUrl}/dashboard/nope`, { headers })).status).toBe(404);
  });

  it('summarises throughput, money, top payers, peers and backups', async () => {
    const poll = async () => {
      const res = await fetch(`${peer.httpUrl}/dashboard/api/summary?range=900`, { headers: { authorization: basic(USER, PASSWORD) } });
      expect(res.status).toBe(200);
      return (await res.json()) as ReturnType<Dashboard['summary']>;
    };
    // the first poll asks a read worker to count the store; the counts come with a later one
    expect((await poll()).store).toBeUndefined();
    const s = await vi.waitFor(async () => {
      const later = await poll();
      if (!later.store) throw new Error('not counted yet');
      return later;
    }, { timeout: 10_000, interval: 20 });
    expect(s.peer).toMatchObject({ assetCode: 'USD', assetScale: 9, ilpAddress: 'test.peer' });
    expect(s.now).toMatchObject({ stored: 6, revenue: '42', outstanding: String(3000 - 42), connections: 0 });
    expect(s.range).toBe(900);
    expect(s.history.t.length).toBeGreaterThanOrEqual(2); // the sample at start, and now
    expect(s.history.t.length).toBe(s.history.revenue.length);
    expect(s.history.revenue.at(-1)).toBe(42);
    expect(s.economics.revenue[0]).toBe(5);
    expect(s.economics.outstanding[0]).toBe(995);
    expect(s.economics.t[0]).toBeLessThan(s.history.t[0]);
    expect(s.topPayers.map((p) => p.pubkey)).toEqual([payers[2], payers[1], payers[0]].map((p) => p.pubkey));
    expect(s.topPayers[0]).toEqual({ pubkey: payers[2].pubkey, npub: nip19.npubEncode(payers[2].pubkey), spent: '21', balance: '979' });
    // money received vs earned, exact: 3 × 1000 credited to balances, 6 events × 7 charged
    expect(s.money).toEqual({ received: '3000', earned: '42', prepaid: '2958' });
    expect(s.store).toMatchObject({ events: 6, pubkeys: 3, storedSince: 0 });
    expect(s.disk.free).toBeGreaterThan(0);
    expect(s.disk.backupNeeds).toBe(s.now.dbBytes + s.now.walBytes);
    expect(s.now.rss).toBeGreaterThan(1e6);
    expect(s.now.cpu).toBeGreaterThanOrEqual(0);
    expect(s.now.lagP99).toBeGreaterThanOrEqual(0);
    expect(s.history.cpu.length).toBe(s.history.t.length);
    expect(s.ilp.peers).toEqual([{ id: 'alice', connections: 0, owes: '3000', pending: '0', limit: '100000' }]);
    expect(s.latency.ingest.count).toBe(6);
    expect(s.ilp).toMatchObject({ fulfilled: 0, applicationErrors: 0, failures: {} });
    expect(s.backups).toMatchObject({ intervalSeconds: 86400, keep: 7, files: [], last: null });
    expect(Array.isArray(s.errors)).toBe(true);
  });
});

describe('/dashboard figures', () => {
  it('counts F99 (STREAM application errors) apart from failures, and money received to the unit', async () => {
    const own = await startPeer({
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      ILP_PEERS: JSON.stringify([{ id: 'alice', token: 'alice-token-0123456789', creditLimit: '100000' }]),
    });
    try {
      const payer = signer();
      // the official STREAM client probes the exchange rate with unfulfillable packets: the receiver answers F99
      await pay(own.port, 'alice-token-0123456789', payer.pubkey, 1234);
      const s = await summaryOf(own.httpUrl);
      expect(s.ilp.applicationErrors).toBeGreaterThan(0);
      expect(s.ilp.results.F99).toBe(s.ilp.applicationErrors);
      expect(s.ilp.fulfilled).toBeGreaterThan(0);
      expect(s.ilp.failures).toEqual({});
      expect(s.money).toEqual({ received: '1234', earned: '0', prepaid: '1234' });
    } finally {
      await own.stop();
    }
  });

  it('counts stored events and pubkeys at most once per interval, not per poll', async () => {
    const db = openDatabase(':memory:');
    const reader = new EventReader(db);
    let counts = 0;
    const count = async () => (counts++, reader.storeCounts());
    const counter = new StoreCounter(count, 60_000);
    expect(counter.get(0)).toBeUndefined(); // asked, not yet answered
    await Promise.resolve();
    const first = counter.get(0);
    expect(first).toMatchObject({ events: 0, pubkeys: 0, storedSince: 0 });
    db.prepare(`INSERT INTO events (id, pubkey, kind, created_at, raw) VALUES (?, ?, 1, 1, '{}')`).run('a'.repeat(64), 'b'.repeat(64));
    expect(counter.get(1)).toEqual({ ...first, storedSince: 1 }); // cached, and says by how much it lags
    expect(counts).toBe(1);
    const fresh = new StoreCounter(count, 0);
    fresh.get(1);
    await Promise.resolve();
    expect(fresh.get(1)).toMatchObject({ events: 1, pubkeys: 1, storedSince: 0 });
    db.close();
  });
});

describe('/dashboard off', () => {
  it('is 404 unless both DASHBOARD_USER and DASHBOARD_PASSWORD are set', async () => {
    const off = await startPeer();
    try {
      for (const route of ['/dashboard', '/dashboard/api/summary']) {
        const res = await fetch(off.httpUrl + route, { headers: { authorization: basic('', '') } });
        expect(res.status).toBe(404);
        expect(res.headers.get('www-authenticate')).toBeNull();
      }
    } finally {
      await off.stop();
    }
  });
});

describe('dashboard parts', () => {
  it('compares credentials exactly', () => {
    const ok = basicAuthChecker('a', 'p:with:colons');
    expect(ok(basic('a', 'p:with:colons'))).toBe(true);
    expect(ok(`basic ${Buffer.from('a:p:with:colons').toString('base64')}`)).toBe(true);
    expect(ok(basic('a', 'p:with'))).toBe(false);
    expect(ok(basic('b', 'p:with:colons'))).toBe(false);
    expect(ok('')).toBe(false);
  });

  it('keeps recent warnings and errors without secrets', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger('info', sink);
    const errors = new RecentErrors(3);
    const unhook = onWarnings(log.child({ module: 'x' }), errors.record);
    log.info('not kept');
    log.warn({ token: 'tok-SECRET', peer: 'alice', sharedSecret: 'SECRET2' }, 'btp auth refused');
    log.child({ module: 'y' }).error({ err: new Error('disk full'), password: 'SECRET3' }, 'event write failed');
    log.error(new Error('plain error'));
    log.warn('fourth');
    expect(errors.list()).toEqual([
      expect.objectContaining({ level: 'error', msg: 'event write failed', detail: 'err: disk full' }),
      expect.objectContaining({ level: 'error', msg: 'plain error' }),
      expect.objectContaining({ level: 'warn', msg: 'fourth' }),
    ]);
    unhook();
    log.warn('after unhook');
    expect(errors.list().at(-1)!.msg).toBe('fourth');
    const kept = new RecentErrors();
    onWarnings(log, kept.record);
    log.warn({ token: 'tok-SECRET', peer: 'alice', sharedSecret: 'SECRET2' }, 'btp auth refused');
    expect(kept.list()).toEqual([expect.objectContaining({ msg: 'btp auth refused', detail: 'peer=alice' })]);
    expect(JSON.stringify(kept.list())).not.toMatch(/SECRET/);
    expect(lines.join('')).not.toMatch(/tok-SECRET|SECRET3/); // pino's own redaction, unchanged
  });

  it('measures CPU and event-loop lag between samples', async () => {
    const sampler = new ProcessSampler();
    try {
      const tick = () => new Promise((r) => setTimeout(r, 40));
      await tick();
      sampler.sample();
      await tick();
      const busyUntil = performance.now() + 150;
      while (performance.now() < busyUntil); // the event loop blocked for 150 ms
      await tick();
      const s = sampler.sample();
      expect(s.lagMax).toBeGreaterThanOrEqual(130); // 150 ms less the monitor's 10 ms period, and some slack
      expect(s.cpu).toBeGreaterThan(5); // up to 150 ms of CPU in a window of about 230 ms (less on a shared machine)
      expect(s.rss).toBeGreaterThan(1e6);
      await tick();
      expect(sampler.sample().lagMax).toBeLessThan(s.lagMax); // reset after each sample
    } finally {
      sampler.stop();
    }
  });

  it('encodes npubs as NIP-19 does', () => {
    for (let i = 0; i < 50; i++) {
      const pubkey = signer().pubkey;
      expect(encodeNpub(pubkey)).toBe(nip19.npubEncode(pubkey));
    }
    expect(() => encodeNpub('zz')).toThrow(/not a hex pubkey/);
  });

  it('keeps a bounded history and thins it to the points asked for', () => {
    const h = new History(10);
    const sample = (t: number) => ({ t, received: t, stored: 0, rejected: 0, fanout: 0, connections: 0, subscriptions: 0, dbBytes: 0, walBytes: 0, revenue: 0, outstanding: 0, cpu: 0, rss: 0, lagP99: 0, lagMax: 0 });
    for (let t = 1; t <= 25; t++) h.add(sample(t));
    expect(h.series(0, 100).t).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(h.series(20, 100).received).toEqual([20, 21, 22, 23, 24, 25]);
    expect(h.series(0, 4).t).toEqual([16, 19, 22, 25]);
  });
});
