import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { databaseFile } from '../../src/peer/database-file';
import { parseRecordArgs, recordCommand } from '../../src/settlement/record-command';
import { startPeer, type StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';

// Rafiki's model: peers settle outside the network (a bank transfer) and the operator records it, from the
// dashboard or the command line, as one ledger transfer with a reference.
const USER = 'operator';
const PASSWORD = 'correct horse battery staple';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const PEERS = [
  { id: 'wallet', token: 'wallet-token-0123456789', creditLimit: '1000' },
  { id: 'other', token: 'other-token-01234567890', creditLimit: '0' },
];
let peer: StartedPeer;

beforeAll(async () => {
  peer = await startPeer({ DASHBOARD_USER: USER, DASHBOARD_PASSWORD: PASSWORD, ILP_PEERS: JSON.stringify(PEERS) });
});
afterAll(() => peer.stop());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${peer.httpUrl}/dashboard/api/settlements`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

function books() {
  const l = readLedger(peer.config.dataDir);
  try {
    const w = l.account('assets/interledger/wallet');
    const s = l.account('assets/settlement');
    return { walletOwes: w.debitsPosted - w.creditsPosted, settlement: s.debitsPosted - s.creditsPosted, sum: l.sum() };
  } finally {
    l.close();
  }
}

describe('out-of-band settlement from the dashboard', () => {
  it('records "the peer paid us" and "we paid the peer" as ledger transfers with their references', async () => {
    const before = books();
    const res = await post({ peer: 'wallet', direction: 'received', amount: '250000', reference: 'SEPA 2026-12-03 #81' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ recorded: expect.any(Number), transferId: expect.any(Number) });
    let after = books();
    expect(after.walletOwes - before.walletOwes).toBe(-250_000n);
    expect(after.settlement - before.settlement).toBe(250_000n);
    expect(after.sum).toBe(0n);

    expect((await post({ peer: 'wallet', direction: 'paid', amount: '1000', reference: 'refund r-1' })).status).toBe(200);
    after = books();
    expect(after.walletOwes - before.walletOwes).toBe(-249_000n);
    expect(after.settlement - before.settlement).toBe(249_000n);
    expect(after.sum).toBe(0n);

    const Database = (await import('better-sqlite3')).default;
    const db = new Database(databaseFile(peer.config.dataDir), { readonly: true });
    const rows = db.prepare('SELECT peer, direction, amount, method, reference FROM settlement_records ORDER BY id').all();
    db.close();
    expect(rows.slice(-2)).toEqual([
      { peer: 'wallet', direction: 'received', amount: 250000, method: 'out-of-band', reference: 'SEPA 2026-12-03 #81' },
      { peer: 'wallet', direction: 'paid', amount: 1000, method: 'out-of-band', reference: 'refund r-1' },
    ]);
  });

  it('refuses a payment that would take the peer past its credit limit, and moves nothing', async () => {
    const before = books();
    // "other" has limit 0 and owes nothing: paying it would make it owe us without credit
    const res = await post({ peer: 'other', direction: 'paid', amount: '1', reference: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/credit limit/);
    expect(books()).toEqual(before);
  });

  it.each([
    [{ peer: 'nobody', direction: 'received', amount: '5', reference: 'r' }, /unknown peer "nobody"/],
    [{ peer: 'a b', direction: 'received', amount: '5', reference: 'r' }, /peer/],
    [{ peer: 'wallet', direction: 'sideways', amount: '5', reference: 'r' }, /direction/],
    [{ peer: 'wallet', direction: 'received', amount: '1.5', reference: 'r' }, /amount/],
    [{ peer: 'wallet', direction: 'received', amount: 5, reference: 'r' }, /amount/],
    [{ peer: 'wallet', direction: 'received', amount: '0', reference: 'r' }, /amount/],
    [{ peer: 'wallet', direction: 'received', amount: '9223372036854775808', reference: 'r' }, /amount/],
    [{ peer: 'wallet', direction: 'received', amount: '5', reference: '' }, /reference is required/],
    [{ peer: 'wallet', direction: 'received', amount: '5', reference: 'x'.repeat(201) }, /longer than 200/],
    [{ peer: 'wallet', direction: 'received', amount: '5', reference: 'a\nb' }, /control characters/],
    ['[1,2]', /expected a JSON object/],
    ['{not json', /expected a JSON object/],
  ])('answers 400 with the reason for %j', async (body, reason) => {
    const before = books();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(reason);
    expect(books()).toEqual(before);
  });

  it('needs the dashboard login, JSON, our own origin and a small body', async () => {
    const body = JSON.stringify({ peer: 'wallet', direction: 'received', amount: '5', reference: 'r' });
    const unauth = await fetch(`${peer.httpUrl}/dashboard/api/settlements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unauth.status).toBe(401);
    // a cross-site HTML form can send only these types, and no Authorization it did not get from the browser
    expect((await post(body, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post(body, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(body, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(body, { origin: peer.httpUrl })).status).toBe(200);
    const big = await post({ peer: 'wallet', direction: 'received', amount: '5', reference: 'r', pad: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(books().sum).toBe(0n);
  });
});

describe('settlement record on the command line', () => {
  it('parses its options and names what is wrong', () => {
    expect(parseRecordArgs(['--peer', 'wallet', '--received', '42', '--reference', 'bank 7'])).toEqual({
      peer: 'wallet',
      direction: 'received',
      amount: 42n,
      reference: 'bank 7',
    });
    expect(parseRecordArgs(['--paid', '3', '--peer', 'w', '--reference', 'r']).direction).toBe('paid');
    expect(() => parseRecordArgs(['--peer', 'w', '--reference', 'r'])).toThrow(/exactly one of --received and --paid/);
    expect(() => parseRecordArgs(['--peer', 'w', '--received', '1', '--paid', '1', '--reference', 'r'])).toThrow(/exactly one/);
    expect(() => parseRecordArgs(['--peer', 'w', '--received', '-1', '--reference', 'r'])).toThrow(/positive integer/);
    expect(() => parseRecordArgs(['--peer', 'w', '--received', '1'])).toThrow(/--reference is required/);
    expect(() => parseRecordArgs(['--received', '1', '--reference', 'r'])).toThrow(/--peer is required/);
    expect(() => parseRecordArgs(['--peer', 'w', '--received'])).toThrow(/--received needs a value/);
    expect(() => parseRecordArgs(['--peer', 'w', '--nope', '1'])).toThrow(/unknown option "--nope"/);
  });

  it('records into the database of DATA_DIR, also before the peer ever ran', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settle-cli-'));
    try {
      const config = loadConfig({ DATA_DIR: dir, ILP_PEERS: JSON.stringify(PEERS) });
      const lines: string[] = [];
      recordCommand(config, databaseFile(dir), ['--peer', 'wallet', '--paid', '700', '--reference', 'wire 9'], (l) => lines.push(l));
      expect(JSON.parse(lines[0])).toEqual({ recorded: 1, peer: 'wallet', direction: 'paid', amount: '700', owes: '700' });
      expect(() => recordCommand(config, databaseFile(dir), ['--peer', 'ghost', '--paid', '1', '--reference', 'r'], () => {})).toThrow(/unknown peer "ghost"/);
      // 700 paid + 301 more would pass the limit of 1000
      expect(() => recordCommand(config, databaseFile(dir), ['--peer', 'wallet', '--paid', '301', '--reference', 'r'], () => {})).toThrow(/credit limit/);
      const l = readLedger(dir);
      expect(l.account('assets/interledger/wallet').debitsPosted).toBe(700n);
      expect(l.sum()).toBe(0n);
      l.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs from the bundle beside a serving peer', () => {
    const run = spawnSync(
      process.execPath,
      [path.resolve(__dirname, '../../dist/peer.js'), 'settlement', 'record', '--peer', 'wallet', '--received', '5', '--reference', 'cli'],
      { env: { PATH: process.env.PATH, DATA_DIR: peer.config.dataDir, ILP_PEERS: JSON.stringify(PEERS) }, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ peer: 'wallet', direction: 'received', amount: '5' });
    const bad = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/peer.js'), 'settlement', 'record', '--peer', 'wallet'], {
      env: { PATH: process.env.PATH, DATA_DIR: peer.config.dataDir, ILP_PEERS: JSON.stringify(PEERS) },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('usage: give exactly one of --received and --paid\n');
    expect(books().sum).toBe(0n);
  });
});
