import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { balanceAccount } from '../../src/ledger/account-paths';
import { listPublished, type Manifest } from '../../src/ops/backup/offsite-manifest';
import { S3Target } from '../../src/ops/backup/s3-target';
import { startPeer } from '../../src/library';
import { spawnBundle } from '../helpers/bundle';
import { signer, TestClient } from '../helpers/client';
import { readLedger } from '../helpers/ledger';
import { pay } from '../helpers/payer';
import { startS3, type TestS3 } from '../helpers/s3';

// The bundled peer, as in production: its off-site jobs run in child processes (`peer.js backup --offsite|--ledger`).
const dist = path.resolve(__dirname, '../../dist');
const dir = mkdtempSync(path.join(tmpdir(), 'offsite-bundle-'));
const app = path.join(dir, 'app', 'peer.js');
const KEY = randomBytes(32).toString('base64');
const TOKEN = 'offsite-wallet-token-0123';
const execFileAsync = promisify(execFile);
let s3: TestS3;

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'peer.js'))) throw new Error('dist/peer.js is missing: run `npm run build` first (npm test does)');
  cpSync(dist, path.join(dir, 'app'), { recursive: true });
  s3 = await startS3(dir);
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

async function published(prefix: string): Promise<Manifest[]> {
  const t = new S3Target(loadConfig(s3.env(prefix, KEY)));
  try {
    return await listPublished(t);
  } finally {
    t.destroy();
  }
}

const until = async (what: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('off-site backups of the bundled peer', () => {
  it('money RPO: with BACKUP_LEDGER_INTERVAL=1s, payments shipped before a kill -9 and a wiped volume are all restored', async () => {
    const dataDir = path.join(dir, 'rpo');
    const env = s3.env('rpo', KEY, {
      DATA_DIR: dataDir,
      PRICE_BASE: '100',
      ILP_PEERS: JSON.stringify([{ id: 'wallet', token: TOKEN, creditLimit: '1000000000' }]),
      BACKUP_OFFSITE_INTERVAL: '1h',
      BACKUP_LEDGER_INTERVAL: '1',
    });
    const first = await spawnBundle(app, env, dir);
    // An empty bucket: the first full backup is taken at once.
    await until(async () => (await published('rpo')).some((m) => m.kind === 'full'), 20_000);
    const payers = [signer(), signer(), signer()];
    for (const [i, w] of payers.entries()) await pay(first.port, TOKEN, w.pubkey, 10_000 * (i + 1));
    const c = await TestClient.connect(`ws://127.0.0.1:${first.port}`);
    const events = [];
    for (const w of payers) {
      const e = w.sign({ content: 'paid before the volume went' });
      expect((await c.publish(e))[2]).toBe(true);
      events.push(e);
    }
    await c.close();
    const live = new Database(path.join(dataDir, 'peer.sqlite'), { readonly: true });
    const journal = live.prepare('SELECT max(id) FROM journal').pluck().get() as number;
    live.close();
    await until(async () => (await published('rpo')).some((m) => m.kind === 'ledger' && m.journalId >= journal), 20_000);
    const l = readLedger(dataDir);
    const before = payers.map((w) => l.account(balanceAccount(w.pubkey)));
    const owed = l.account('assets/interledger/wallet');
    l.close();
    expect(before.map((b) => b.creditsPosted - b.debitsPosted)).toEqual([9_900n, 19_900n, 29_900n]);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });

    const second = await spawnBundle(app, env, dir);
    try {
      expect(second.output()).toContain('restored the database from the off-site backup');
      const r = readLedger(dataDir);
      expect(payers.map((w) => r.account(balanceAccount(w.pubkey)))).toEqual(before);
      expect(r.account('assets/interledger/wallet')).toEqual(owed);
      expect(r.sum()).toBe(0n);
      r.close();
    } finally {
      second.child.kill('SIGKILL');
    }
  }, 120_000);

  it('kill -9 during an upload: nothing is listed, the work folder goes with the next backup, which succeeds', async () => {
    const dataDir = path.join(dir, 'killed');
    const peer = await startPeer({ DATA_DIR: dataDir, RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0' });
    const c = await TestClient.connect(peer.url);
    const w = signer();
    const filler = 'k'.repeat(80_000);
    for (let i = 0; i < 250; i++) c.send(['EVENT', w.sign({ content: `${i} ${filler}` })]);
    await c.next(() => c.messages.filter((m) => m[0] === 'OK' && m[2] === true).length === 250, 30_000);
    await c.close();
    await peer.stop();

    const env = { PATH: process.env.PATH, ...s3.env('killed', KEY, { DATA_DIR: dataDir }) };
    const child = spawn(process.execPath, [app, 'backup', '--offsite'], { env });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (/uploading\s+[3-9]\d%/.test(out)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`backup ended before it was killed: ${out}`)));
    });
    await new Promise((r) => child.once('exit', r));
    expect(await published('killed')).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'offsite-tmp'))).toHaveLength(1);

    const again = spawn(process.execPath, [app, 'backup', '--offsite'], { env });
    let result = '';
    again.stdout.on('data', (d) => (result += d));
    expect(await new Promise((r) => again.once('exit', r))).toBe(0);
    const m = JSON.parse(result.trim().split('\n').pop()!) as Manifest;
    expect(m.events).toBe(250);
    expect((await published('killed')).map((x) => x.name)).toEqual([m.name]);
    expect(readdirSync(path.join(dataDir, 'offsite-tmp'))).toEqual([]);

    // backup --list: the local ones (none here), then the off-site ones, newest first, and the latter as JSON
    // not spawnSync: the S3 server runs in this process and must keep answering
    const list = await execFileAsync(process.execPath, [app, 'backup', '--list'], { env, encoding: 'utf8' });
    const lines = list.stdout.trim().split('\n');
    expect(lines).toContain(`s3://backups/killed/${m.name}  full  ${(m.storedBytes / 1024 / 1024).toFixed(1)} MiB  ${lines.find((l) => l.includes(m.name))!.split('  ')[3]}  (${m.snapshotAt})`);
    expect(JSON.parse(lines.at(-1)!)).toEqual([{ url: `s3://backups/killed/${m.name}`, kind: 'full', bytes: m.storedBytes, at: m.snapshotAt }]);
  }, 120_000);
});
