import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RefusalLog } from '../../src/connector/btp-admission';
import { btpAuthMessage, encodeBtpPacket } from '../../src/ilp';
import { composePeer } from '../../src/peer/compose-peer';
import { loadConfig } from '../../src/config/load';
import { startPeer, type StartedPeer } from '../../src/library';
import { TestClient } from '../helpers/client';

const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');
const ILDCP = require('ilp-protocol-ildcp');

type Plugin = { connect(): Promise<void>; disconnect(): Promise<void>; sendData(data: Buffer): Promise<Buffer> };

const ALICE = 'alice-token-0123456789';
const PEERS = JSON.stringify([{ id: 'alice', token: ALICE, creditLimit: '1000' }]);

type Attempt = { ws: WebSocket; status: 101 } | { status: number; body: string; retryAfter?: string };

/** Opens a /btp socket that never authenticates; resolves once it is open (kept open) or refused. */
function attempt(peer: StartedPeer, headers: Record<string, string> = {}): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${peer.url}/btp`, { headers });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] as string | undefined });
      });
    });
    ws.once('error', reject);
  });
}

const closeAll = (attempts: Attempt[]) =>
  Promise.all(
    attempts.map((a) =>
      'ws' in a ? new Promise<void>((resolve) => (a.ws.once('close', () => resolve()), a.ws.terminate())) : undefined,
    ),
  );

const byStatus = (attempts: Attempt[]) => {
  const counts: Record<number, number> = {};
  for (const a of attempts) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
};

/** The relay still serves a NIP-01 client: a REQ is answered with EOSE. */
async function relayServes(peer: StartedPeer) {
  const c = await TestClient.connect(peer.url);
  const r = await c.req('still-here', { kinds: [1], limit: 1 });
  expect(r.events).toEqual([]);
  await c.close();
}

describe('/btp socket bounds', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await startPeer({
      ILP_PEERS: PEERS,
      BTP_MAX_CONNECTIONS_PER_IP: 20,
      BTP_MAX_UNAUTHENTICATED: 50,
      BTP_AUTH_TIMEOUT: 120,
      TRUSTED_PROXIES: '127.0.0.1',
      BLOCKED_IPS: '10.9.9.9',
    });
  });
  afterAll(() => peer.stop());

  it('BLOCKED_IPS applies to /btp: 403 at upgrade', async () => {
    const a = await attempt(peer, { 'x-forwarded-for': '10.9.9.9' });
    expect(a.status).toBe(403);
    expect(JSON.parse((a as { body: string }).body).error).toMatch(/^blocked: /);
  });

  it('per address: 300 sockets that never authenticate, 20 are open, the rest answered 429 JSON; the relay serves', async () => {
    const attempts = await Promise.all(Array.from({ length: 300 }, () => attempt(peer)));
    expect(byStatus(attempts)).toEqual({ 101: 20, 429: 280 });
    const refused = attempts.find((a) => a.status === 429) as { body: string };
    expect(JSON.parse(refused.body).error).toMatch(/^rate-limited: more than 20 open connections/);
    await relayServes(peer);
    await closeAll(attempts);
    // the count goes down with the sockets: the address may open 20 again
    const again = await Promise.all(Array.from({ length: 20 }, () => attempt(peer)));
    expect(byStatus(again)).toEqual({ 101: 20 });
    await closeAll(again);
  });

  it('in total: 300 strangers from 300 addresses, 50 wait to authenticate, the rest answered 503; a peer with its token still gets in', async () => {
    const alice: Plugin = new BtpPlugin({ server: `btp+ws://alice:${ALICE}@127.0.0.1:${peer.port}/btp`, responseTimeout: 5000 });
    await alice.connect();
    const attempts = await Promise.all(
      Array.from({ length: 300 }, (_, i) => attempt(peer, { 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` })),
    );
    expect(byStatus(attempts)).toEqual({ 101: 50, 503: 250 });
    const refused = attempts.find((a) => a.status === 503) as { body: string; retryAfter?: string };
    expect(JSON.parse(refused.body).error).toMatch(/^rate-limited: 50 BTP connections are waiting to authenticate/);
    expect(refused.retryAfter).toBe('120');
    // the authenticated connection does not count among those waiting, and keeps working
    expect(await ILDCP.fetch(alice.sendData.bind(alice))).toMatchObject({ clientAddress: 'test.peer.alice' });
    await relayServes(peer);
    await closeAll(attempts);
    await alice.disconnect();
  });
});

describe('/btp auth deadline', () => {
  let peer: StartedPeer;
  beforeAll(async () => {
    peer = await startPeer({ ILP_PEERS: PEERS, BTP_AUTH_TIMEOUT: 1 });
  });
  afterAll(() => peer.stop());

  it('closes sockets that do not authenticate in BTP_AUTH_TIMEOUT (1008), and frees their place; authenticated ones stay', async () => {
    const alice: Plugin = new BtpPlugin({ server: `btp+ws://alice:${ALICE}@127.0.0.1:${peer.port}/btp`, responseTimeout: 5000 });
    await alice.connect();
    const started = Date.now();
    const attempts = await Promise.all(Array.from({ length: 16 }, () => attempt(peer)));
    expect(byStatus(attempts)).toEqual({ 101: 15, 429: 1 }); // alice holds the 16th place of the address
    const codes = await Promise.all(
      attempts.flatMap((a) => ('ws' in a ? [new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)))] : [])),
    );
    expect(codes).toEqual(Array(15).fill(1008));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const again = await attempt(peer);
    expect(again.status).toBe(101);
    await closeAll([again]);
    // alice authenticated at once and is still connected after the deadline passed
    expect(await ILDCP.fetch(alice.sendData.bind(alice))).toMatchObject({ clientAddress: 'test.peer.alice' });
    await alice.disconnect();
  });
});

describe('refusal log', () => {
  it('a hundred wrong tokens make one log line with the remote address, not a hundred', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'btp-log-'));
    const peer = await composePeer(loadConfig({ PORT: 0, HOST: '127.0.0.1', DATA_DIR: dataDir, ILP_PEERS: PEERS, BACKUP_INTERVAL: 'off' }), pino(sink));
    try {
      for (let i = 0; i < 100; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${peer.port}/btp`);
        await new Promise((r) => ws.once('open', r));
        const closed = new Promise((r) => ws.once('close', r));
        ws.send(encodeBtpPacket(btpAuthMessage(1, { token: 'wrong-token-000000000', username: '' })));
        await closed;
      }
      const refusals = lines.filter((l) => /refused/.test(String(l.msg)));
      expect(refusals).toEqual([expect.objectContaining({ reason: 'unknown token', ip: '127.0.0.1', msg: 'btp refused' })]);
    } finally {
      await peer.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('one line per reason per 10 s with the address, then the count of those suppressed', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    let now = 1_000_000;
    const log = new RefusalLog(pino(sink), () => now);
    for (let i = 0; i < 1000; i++) log.refused('no auth in time', `10.0.0.${i & 255}`);
    log.refused('unknown token', '192.0.2.7');
    expect(lines.map(({ reason, ip, suppressed }) => ({ reason, ip, suppressed }))).toEqual([
      { reason: 'no auth in time', ip: '10.0.0.0', suppressed: undefined },
      { reason: 'unknown token', ip: '192.0.2.7', suppressed: undefined },
    ]);
    now += 10_000;
    log.refused('no auth in time', '10.0.0.9');
    expect(lines[2]).toMatchObject({ reason: 'no auth in time', ip: '10.0.0.9', suppressed: 999, msg: 'btp refused' });
  });
});
