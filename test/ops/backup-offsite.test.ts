import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { auditLedger } from '../../src/ledger/audit-ledger';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { offsiteBackupCommand } from '../../src/ops/backup/offsite-commands';
import { listPublished, type Manifest } from '../../src/ops/backup/offsite-manifest';
import { restoreOffsite } from '../../src/ops/backup/offsite-restore';
import { S3Target } from '../../src/ops/backup/s3-target';
import { startPeer } from '../../src/library';
import { openDatabase } from '../../src/storage/database';
import { signer, TestClient } from '../helpers/client';
import { namingProblems, parsePrometheus } from '../helpers/prometheus';
import { startS3, type TestS3 } from '../helpers/s3';

const PRICE = 10n;
const KEY = randomBytes(32).toString('hex');
const root = mkdtempSync(path.join(tmpdir(), 'offsite-test-'));
let s3: TestS3;
let raw: S3Client;

beforeAll(async () => {
  s3 = await startS3(root);
  raw = s3.client;
});
afterAll(async () => {
  await s3.close();
  rmSync(root, { recursive: true, force: true });
});

const env = (prefix: string, more: Record<string, string> = {}) => s3.env(prefix, KEY, more);

/** Balances of every account, to the unit, and the event ids: what must survive the volume. */
function stateOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const accounts = db.prepare('SELECT path, debits_posted, credits_posted FROM accounts ORDER BY path').safeIntegers(true).all();
    const ids = db.prepare('SELECT lower(hex(id)) FROM events ORDER BY id').pluck().all();
    return { accounts, ids, audit: auditLedger(db) };
  } finally {
    db.close();
  }
}

async function published(prefix: string): Promise<Manifest[]> {
  const t = new S3Target(loadConfig(env(prefix)));
  try {
    return await listPublished(t);
  } finally {
    t.destroy();
  }
}

describe('off-site backups through a real S3 server (s3rver)', () => {
  it('full cycle: events and balances → off-site → volume wiped → a new peer restores on boot, money to the unit', async () => {
    const dataDir = path.join(root, 'cycle');
    const settings = env('cycle', { PRICE_BASE: String(PRICE), DATA_DIR: dataDir, RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0', BACKUP_LEDGER_INTERVAL: '1' });
    const peer = await startPeer(settings);
    const file = path.join(dataDir, 'peer.sqlite');
    const side = openDatabase(file);
    const ledger = new Ledger(side);
    const writers = [signer(), signer()];
    for (const w of writers) ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(w.pubkey), amount: 1000n });
    const c = await TestClient.connect(peer.url);
    for (let i = 0; i < 20; i++) expect((await c.publish(writers[i % 2].sign({ content: `event ${i}` })))[2]).toBe(true);

    const lines: string[] = [];
    await offsiteBackupCommand(peer.config, file, '--offsite', (l) => lines.push(l));
    const full = JSON.parse(lines.at(-1)!) as Manifest;
    expect(full).toMatchObject({ kind: 'full', events: 20, encryption: 'aes-256-gcm-chunked-v1' });

    // Money moves after the full backup: the ledger snapshot (every 1 s, when the journal grew) carries it.
    ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(writers[0].pubkey), amount: 777n });
    const journalNow = side.prepare('SELECT max(id) FROM journal').pluck().get() as number;
    const deadline = Date.now() + 15_000;
    while (!(await published('cycle')).some((m) => m.kind === 'ledger' && m.journalId >= journalNow)) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 200));
    }
    await c.close();
    side.close();
    await peer.stop();
    const before = stateOf(file);
    expect(before.ids).toHaveLength(20);

    // The volume is lost.
    rmSync(dataDir, { recursive: true, force: true });
    const again = await startPeer(settings);
    try {
      const after = stateOf(file);
      expect(after.ids).toEqual(before.ids);
      expect(after.accounts).toEqual(before.accounts);
      expect(after.audit).toBeUndefined();
      const health = (await (await fetch(`${again.httpUrl}/health`)).json()) as { backup: string };
      expect(health.backup).toBe('ok');
      const r = await TestClient.connect(again.url);
      r.send(['REQ', 's', { kinds: [1] }]);
      await r.next((m) => m[0] === 'EOSE');
      expect(r.messages.filter((m) => m[0] === 'EVENT')).toHaveLength(20);
      await r.close();
    } finally {
      await again.stop();
    }
    expect(readdirSync(path.join(dataDir, 'offsite-tmp'))).toEqual([]);
  }, 60_000);

  it('a stopping peer ships the money moved since its last ledger snapshot (SIGTERM before a lease closes)', async () => {
    const dataDir = path.join(root, 'final');
    const settings = env('final', { DATA_DIR: dataDir, BACKUP_LEDGER_INTERVAL: '1h' });
    const peer = await startPeer(settings);
    const file = path.join(dataDir, 'peer.sqlite');
    await offsiteBackupCommand(peer.config, file, '--offsite', () => {});
    const side = openDatabase(file);
    const payer = signer();
    new Ledger(side).transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(payer.pubkey), amount: 4242n });
    side.close();
    await peer.stop();
    const before = stateOf(file);
    expect((await published('final')).some((m) => m.kind === 'ledger')).toBe(true);
    rmSync(dataDir, { recursive: true, force: true });
    const again = await startPeer(settings);
    try {
      expect(stateOf(file).accounts).toEqual(before.accounts);
    } finally {
      await again.stop();
    }
  }, 60_000);

  describe('a backup that is not what was uploaded is refused, and nothing is written to DATA_DIR', () => {
    const prefix = 'tamper';
    let manifest: Manifest;
    let object: Buffer;

    beforeAll(async () => {
      const peer = await startPeer(env(prefix, { DATA_DIR: path.join(root, 'tamper-src') }));
      const c = await TestClient.connect(peer.url);
      const w = signer();
      for (let i = 0; i < 20; i++) await c.publish(w.sign({ content: `x ${i} ${'y'.repeat(80_000)}` }));
      await c.close();
      const lines: string[] = [];
      await offsiteBackupCommand(peer.config, path.join(peer.config.dataDir, 'peer.sqlite'), '--offsite', (l) => lines.push(l));
      manifest = JSON.parse(lines.at(-1)!) as Manifest;
      await peer.stop();
      const got = await raw.send(new GetObjectCommand({ Bucket: 'backups', Key: `${prefix}/objects/${manifest.name}` }));
      object = Buffer.from(await got.Body!.transformToByteArray());
    });

    /** Publishes `body` under a new name with the manifest of the original (and its own hash, when `rehash`). */
    async function plant(name: string, body: Buffer): Promise<void> {
      const { createHash } = await import('node:crypto');
      const m = { ...manifest, name, storedBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
      await raw.send(new PutObjectCommand({ Bucket: 'backups', Key: `${prefix}/objects/${name}`, Body: body }));
      await raw.send(new PutObjectCommand({ Bucket: 'backups', Key: `${prefix}/manifests/${name}.json`, Body: JSON.stringify(m) }));
    }

    async function refused(name: string, key = KEY): Promise<string> {
      const dataDir = mkdtempSync(path.join(root, 'tamper-dst-'));
      const config = loadConfig(env(prefix, { DATA_DIR: dataDir, BACKUP_ENCRYPTION_KEY: key }));
      const err = await restoreOffsite(config, path.join(dataDir, 'peer.sqlite'), `s3://backups/${prefix}/${name}`, () => {}).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(err).toBeDefined();
      expect(existsSync(path.join(dataDir, 'peer.sqlite'))).toBe(false);
      expect(readdirSync(dataDir).filter((n) => n !== 'offsite-tmp' && n !== 'peer.lock')).toEqual([]);
      expect(readdirSync(path.join(dataDir, 'offsite-tmp'))).toEqual([]);
      return err!;
    }

    it('restores the original', async () => {
      const dataDir = mkdtempSync(path.join(root, 'tamper-ok-'));
      const config = loadConfig(env(prefix, { DATA_DIR: dataDir }));
      const r = await restoreOffsite(config, path.join(dataDir, 'peer.sqlite'), `s3://backups/${prefix}/${manifest.name}`, () => {});
      expect(r.events).toBe(20);
    });

    it('restore refuses before downloading while a peer serves from the folder', async () => {
      const dataDir = path.join(root, 'tamper-src');
      const peer = await startPeer(env(prefix, { DATA_DIR: dataDir }));
      try {
        const err = await restoreOffsite(loadConfig(env(prefix, { DATA_DIR: dataDir })), path.join(dataDir, 'peer.sqlite'), 'latest', () => {}).catch((e: Error) => e);
        expect((err as Error).message).toMatch(/is serving from .*stop it first/);
        expect(readdirSync(path.join(dataDir, 'offsite-tmp'))).toEqual([]);
      } finally {
        await peer.stop();
      }
    });

    it('a wrong key', async () => {
      expect(await refused(manifest.name, randomBytes(32).toString('hex'))).toMatch(/cannot be decrypted with BACKUP_ENCRYPTION_KEY/);
    });

    it('a flipped byte, even with a manifest that matches it', async () => {
      const bad = Buffer.from(object);
      bad[Math.floor(bad.length / 2)] ^= 1;
      await plant('peer-20200101T000000.000Z.sqlite.enc', bad);
      expect(await refused('peer-20200101T000000.000Z.sqlite.enc')).toMatch(/altered|cannot be decrypted/);
    });

    it('a truncated object, cut inside a chunk and between chunks', async () => {
      await plant('peer-20200102T000000.000Z.sqlite.enc', object.subarray(0, object.length - 100));
      expect(await refused('peer-20200102T000000.000Z.sqlite.enc')).toMatch(/altered or cut/);
      // The header and the first chunk only: every tag right, but the last chunk is missing.
      await plant('peer-20200103T000000.000Z.sqlite.enc', object.subarray(0, 44 + 1024 * 1024 + 16));
      expect(object.length).toBeGreaterThan(44 + 1024 * 1024 + 16);
      expect(await refused('peer-20200103T000000.000Z.sqlite.enc')).toMatch(/altered or cut/);
    });

    it('no objects without a manifest are listed, and the key is nowhere in the bucket', async () => {
      const all = await raw.send(new ListObjectsV2Command({ Bucket: 'backups' }));
      for (const o of all.Contents ?? []) {
        const body = Buffer.from(await (await raw.send(new GetObjectCommand({ Bucket: 'backups', Key: o.Key }))).Body!.transformToByteArray());
        expect(body.includes(Buffer.from(KEY, 'hex'))).toBe(false);
        expect(body.includes(Buffer.from(KEY))).toBe(false);
      }
    });
  });

  it('the weekly restore test: its result in /metrics, /health and the dashboard; a damaged newest backup fails it', async () => {
    const prefix = 'verify';
    const auth = `Basic ${Buffer.from('op:secret-password').toString('base64')}`;
    const peer = await startPeer(env(prefix, { BACKUP_OFFSITE_INTERVAL: '1h', BACKUP_VERIFY_INTERVAL: '1', DASHBOARD_USER: 'op', DASHBOARD_PASSWORD: 'secret-password' }));
    try {
      const c = await TestClient.connect(peer.url);
      const w = signer();
      for (let i = 0; i < 3; i++) await c.publish(w.sign({ content: `verify ${i}` }));
      await c.close();
      const metrics = async () => parsePrometheus(await (await fetch(`${peer.httpUrl}/metrics`)).text());
      const value = async (name: string) => (await metrics()).get(name)?.samples[0]?.value;
      const summary = async () => ((await (await fetch(`${peer.httpUrl}/dashboard/api/summary`, { headers: { authorization: auth } })).json()) as { offsite: any }).offsite;
      const deadline = Date.now() + 30_000;
      // The bucket was empty: the full backup runs at once, the restore test a second later.
      while ((await value('peer_offsite_verify_ok')) !== 1) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 200));
      }
      const s = await summary();
      expect(s).toMatchObject({ url: `s3://backups/${prefix}`, encrypted: true, status: 'ok', verify: { result: { ok: true } } });
      expect(s.verify.result.events).toBeGreaterThanOrEqual(0);
      expect(await value('peer_offsite_backup_newest_timestamp_seconds')).toBeGreaterThan(0);
      const families = await metrics();
      for (const name of ['peer_offsite_backups_total', 'peer_offsite_backup_last_success_timestamp_seconds', 'peer_offsite_backup_last_size_bytes', 'peer_offsite_verify_events']) {
        expect(families.has(name)).toBe(true);
        expect(namingProblems(families.get(name)!)).toEqual([]);
      }
      expect(((await (await fetch(`${peer.httpUrl}/health`)).json()) as { backup: string }).backup).toBe('ok');

      // A newer "backup" whose object is not what its manifest says: the next restore test fails, and says so.
      const [newest] = (await published(prefix)).filter((m) => m.kind === 'full');
      const name = 'peer-29990101T000000.000Z.sqlite.enc';
      await raw.send(new PutObjectCommand({ Bucket: 'backups', Key: `${prefix}/objects/${name}`, Body: randomBytes(5000) }));
      await raw.send(new PutObjectCommand({ Bucket: 'backups', Key: `${prefix}/manifests/${name}.json`, Body: JSON.stringify({ ...newest, name, snapshotAt: '2999-01-01T00:00:00.000Z' }) }));
      while ((await value('peer_offsite_verify_ok')) !== 0) {
        expect(Date.now()).toBeLessThan(deadline + 30_000);
        await new Promise((r) => setTimeout(r, 200));
      }
      const failed = await summary();
      expect(failed.status).toBe('degraded');
      expect(failed.verify.result).toMatchObject({ ok: false, name: null });
      const health = (await (await fetch(`${peer.httpUrl}/health`)).json()) as { status: string; backup: string };
      expect(health).toMatchObject({ status: 'ok', backup: 'degraded' });
    } finally {
      await peer.stop();
    }
  }, 90_000);
});
