import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { listPublished, offsiteName } from '../../src/ops/backup/offsite-manifest';
import { planRetention, pruneOffsite } from '../../src/ops/backup/offsite-retention';
import { shipFull } from '../../src/ops/backup/offsite-ship';
import { S3Target } from '../../src/ops/backup/s3-target';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import { startS3, type TestS3 } from '../helpers/s3';

const KEY = randomBytes(32).toString('hex');
const root = mkdtempSync(path.join(tmpdir(), 'offsite-faults-'));
let s3: TestS3;

beforeAll(async () => {
  s3 = await startS3(root);
});
afterAll(async () => {
  await s3.close();
  rmSync(root, { recursive: true, force: true });
});

const DAY = 86_400_000;
const full = (t: number) => offsiteName('full', new Date(t), true);
const ledger = (t: number) => offsiteName('ledger', new Date(t), true);

describe('off-site retention (BACKUP_KEEP_DAILY, BACKUP_KEEP_MONTHLY)', () => {
  it('over a simulated year of daily backups keeps exactly the newest 7 days and the newest of each of 12 months', () => {
    // 2026-01-01 … 2026-12-31, one backup a day at 03:00 UTC.
    const start = Date.UTC(2026, 0, 1, 3);
    const names = Array.from({ length: 365 }, (_, i) => full(start + i * DAY));
    const keep = [...planRetention(names, 7, 12)].sort();
    const want = [
      // the last day of each month, January … November (December's newest is among the daily ones)
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((m) => full(Date.UTC(2026, m + 1, 0, 3))),
      ...[25, 26, 27, 28, 29, 30, 31].map((d) => full(Date.UTC(2026, 11, d, 3))),
    ].sort();
    expect(keep).toEqual(want);
    expect(keep).toHaveLength(18);
  });

  it('applied day by day through the year, the bucket never holds more than that, and always the newest', () => {
    const start = Date.UTC(2026, 0, 1, 3);
    let bucket: string[] = [];
    for (let i = 0; i < 365; i++) {
      // hourly backups on the last day, to see several a day collapse to the day's newest
      const day = start + i * DAY;
      bucket.push(full(day), ...(i === 364 ? [1, 2, 3].map((h) => full(day + h * 3_600_000)) : []));
      const keep = planRetention(bucket, 7, 12);
      bucket = bucket.filter((n) => keep.has(n));
      expect(bucket.length).toBeLessThanOrEqual(7 + 12);
      expect(keep.has(full(day + (i === 364 ? 3 * 3_600_000 : 0)))).toBe(true);
    }
    expect(bucket).toHaveLength(18);
    expect(bucket).not.toContain(full(start + 364 * DAY)); // that day's earlier hourly backups went
  });

  it('keeps only the newest two ledger snapshots taken after the newest full backup', () => {
    const t = Date.UTC(2026, 5, 1);
    const names = [full(t), ledger(t - 60_000), ledger(t + 60_000), ledger(t + 120_000), ledger(t + 180_000)];
    expect([...planRetention(names, 7, 12)].sort()).toEqual([full(t), ledger(t + 120_000), ledger(t + 180_000)].sort());
  });

  it('prunes a real bucket: manifests first, then their objects, and objects that never got a manifest', async () => {
    const config = loadConfig(s3.env('retention', KEY));
    const target = new S3Target(config);
    const now = Date.UTC(2026, 11, 31, 12);
    const names = Array.from({ length: 40 }, (_, i) => full(now - i * DAY));
    for (const n of names) {
      await target.putSmall(`objects/${n}`, 'x');
      await target.putSmall(`manifests/${n}.json`, '{}');
    }
    await s3.client.send(new PutObjectCommand({ Bucket: 'backups', Key: 'retention/objects/peer-20200101T000000.000Z.sqlite.enc', Body: 'orphan' }));
    const deleted = await pruneOffsite(target, 7, 12, now + 2 * DAY);
    const left = await s3.client.send(new ListObjectsV2Command({ Bucket: 'backups', Prefix: 'retention/' }));
    const keys = (left.Contents ?? []).map((o) => o.Key!).sort();
    const kept = [...planRetention(names, 7, 12)];
    expect(keys).toEqual(kept.flatMap((n) => [`retention/manifests/${n}.json`, `retention/objects/${n}`]).sort());
    expect(deleted).toContain('peer-20200101T000000.000Z.sqlite.enc');
    expect(deleted).toHaveLength(40 - kept.length + 1);
    target.destroy();
  });
});

describe('faults', () => {
  let peer: StartedPeer;

  beforeAll(async () => {
    // ~20 MB, so that an upload takes several multipart parts
    peer = await startPeer({ DATA_DIR: path.join(root, 'big'), RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0' });
    const c = await TestClient.connect(peer.url);
    const w = signer();
    const filler = 'z'.repeat(80_000);
    for (let i = 0; i < 250; i++) c.send(['EVENT', w.sign({ content: `${i} ${filler}` })]);
    await c.next(() => c.messages.filter((m) => m[0] === 'OK' && m[2] === true).length === 250, 30_000);
    await c.close();
  }, 60_000);
  afterAll(async () => {
    await peer.stop();
  });

  it('the S3 server stopped mid-upload: the upload fails, nothing is listed, no work file is left; the next one succeeds', async () => {
    const config = loadConfig(s3.env('midway', KEY, { DATA_DIR: peer.config.dataDir }));
    const database = path.join(peer.config.dataDir, 'peer.sqlite');
    let target = new S3Target(config);
    let stopping: Promise<void> | undefined;
    const failed = await shipFull(config, database, target, undefined, (done, total) => {
      if (!stopping && done > total * 0.4) stopping = s3.stop();
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failed).toBeInstanceOf(Error);
    await stopping;
    target.destroy();
    expect(readdirSync(path.join(peer.config.dataDir, 'offsite-tmp'))).toEqual([]);
    await s3.start();
    target = new S3Target(config);
    expect(await listPublished(target)).toEqual([]);
    const m = await shipFull(config, database, target);
    expect(m.events).toBe(250);
    expect((await listPublished(target)).map((x) => x.name)).toEqual([m.name]);
    target.destroy();
  }, 60_000);

  it('boot restore: /ready answers 503 (and /health "restoring") until the restore is done; an unreachable bucket is retried', async () => {
    const source = loadConfig(s3.env('boot', KEY, { DATA_DIR: peer.config.dataDir }));
    const target = new S3Target(source);
    await shipFull(source, path.join(peer.config.dataDir, 'peer.sqlite'), target);
    target.destroy();
    await s3.stop();
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const dataDir = path.join(root, 'boot');
    const starting = startPeer({ ...s3.env('boot', KEY, { DATA_DIR: dataDir }), PORT: String(port) });
    // A new connection per request, as a probe makes: a kept-alive one would still point at the holding server.
    const get = (route: string) =>
      new Promise<{ status: number; body: unknown } | undefined>((resolve) => {
        httpGet({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        }).on('error', () => resolve(undefined));
      });
    const deadline = Date.now() + 10_000;
    let ready;
    while (!(ready = await get('/ready'))) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready).toEqual({ status: 503, body: { ready: false, restoring: true } });
    expect(await get('/health')).toMatchObject({ status: 200, body: { status: 'ok', backup: 'restoring' } });
    expect(existsSync(path.join(dataDir, 'peer.sqlite'))).toBe(false);
    await s3.start();
    const restored = await starting;
    try {
      expect(await get('/ready')).toEqual({ status: 200, body: { ready: true } });
      const r = await TestClient.connect(restored.url);
      expect((await r.req('all', { kinds: [1], limit: 1000 })).events).toHaveLength(250);
      await r.close();
    } finally {
      await restored.stop();
    }
  }, 60_000);

  it('the storage service down: the relay keeps serving, /health says backup "degraded" (status ok), then recovers', async () => {
    const dataDir = path.join(root, 'degraded');
    // A database first, so that the start does not wait for the bucket to restore from.
    await (await startPeer({ DATA_DIR: dataDir })).stop();
    await s3.stop();
    const p = await startPeer(s3.env('down', KEY, { DATA_DIR: dataDir, BACKUP_LEDGER_INTERVAL: '1', BACKUP_OFFSITE_INTERVAL: '1h' }));
    try {
      const health = async () => (await (await fetch(`${p.httpUrl}/health`)).json()) as { status: string; backup: string; backupAge: number | null };
      const deadline = Date.now() + 20_000;
      while ((await health()).backup !== 'degraded') {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await health()).toMatchObject({ status: 'ok', backup: 'degraded', backupAge: null });
      const c = await TestClient.connect(p.url);
      const ev = signer().sign({ content: 'still serving' });
      expect(await c.publish(ev)).toEqual(['OK', ev.id, true, '']);
      await c.close();

      // Back: the retry (after 30 s at most for the full backup) succeeds and the detail turns ok.
      await s3.start();
      const target = new S3Target(loadConfig(s3.env('down', KEY)));
      try {
        while ((await health()).backup !== 'ok') {
          expect(Date.now()).toBeLessThan(deadline + 40_000);
          await new Promise((r) => setTimeout(r, 200));
        }
        expect((await health()).backupAge).toBeGreaterThanOrEqual(0);
        expect((await listPublished(target)).some((m) => m.kind === 'full')).toBe(true);
      } finally {
        target.destroy();
      }
    } finally {
      await p.stop();
    }
  }, 90_000);
});
