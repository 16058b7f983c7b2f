import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceAccount } from '../../src/ledger/account-paths';
import { startPeer, type StartedPeer } from '../../src/library';
import { Committer } from '../../src/storage/committer';
import { openDatabase } from '../../src/storage/database';
import { signer, TestClient } from '../helpers/client';

const health = async (peer: StartedPeer) => {
  const res = await fetch(`${peer.httpUrl}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; services: Record<string, string> } };
};

describe('/health reads the ledger totals, not every account', () => {
  it('a balance changed behind the ledger turns the ledger check to error', async () => {
    const peer = await startPeer({ BACKUP_INTERVAL: 'off' });
    try {
      expect(await health(peer)).toMatchObject({ status: 200, body: { status: 'ok', services: { ledger: 'ok' } } });
      const side = openDatabase(path.join(peer.config.dataDir, 'peer.sqlite'));
      side.prepare("INSERT INTO accounts (path, rule, credits_posted) VALUES (?, 'none', 1000)").run(balanceAccount(signer().pubkey));
      side.close();
      expect(await health(peer)).toMatchObject({ status: 503, body: { status: 'degraded', services: { ledger: 'error', database: 'ok' } } });
    } finally {
      await peer.stop();
    }
  });
});

describe('Committer.failing (what /health reads), without root', () => {
  it('is set by a commit that fails, cleared by the next that succeeds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'health-commit-'));
    const db = new Database(path.join(dir, 'c.sqlite'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // a deferred foreign key is checked at COMMIT: the one way to make COMMIT itself fail on any disk
      db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
               CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
      const errors: unknown[] = [];
      const c = new Committer(db, `${db.name}-wal`, (e) => errors.push(e));
      expect(c.run(() => db.prepare('INSERT INTO child (p) VALUES (1)').run()).value.changes).toBe(1);
      expect(await c.settled()).toBe(false);
      expect(c.failing).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
      expect(errors).toHaveLength(1);
      c.run(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run());
      expect(await c.settled()).toBe(true);
      expect(c.failing).toBeUndefined();
      c.close();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A 4 MiB tmpfs to fill up: needs root (mount); skipped elsewhere. */
const mountPoint = mkdtempSync(path.join(tmpdir(), 'health-disk-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  /* not root: the disk-full test is skipped */
}

describe.skipIf(!mounted)('/health when the disk is full', () => {
  let peer: StartedPeer;
  const filler = path.join(mountPoint, 'filler');

  beforeAll(async () => {
    mkdirSync(path.join(mountPoint, 'data'));
    peer = await startPeer({ DATA_DIR: path.join(mountPoint, 'data'), BACKUP_INTERVAL: 'off', ECONOMIC_SNAPSHOT_INTERVAL: '0' });
  });
  afterAll(async () => {
    rmSync(filler, { force: true });
    await peer?.stop();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('says the database is down (503) while writes fail, and ok again once they succeed', async () => {
    expect(await health(peer)).toMatchObject({ status: 200, body: { status: 'ok', services: { database: 'ok' } } });
    const fd = openSync(filler, 'w');
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      closeSync(fd);
    }
    const author = signer();
    const c = await TestClient.connect(peer.url);
    const big = 'x'.repeat(60_000);
    let refused: [string, string, boolean, string] | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const ok = await c.publish(author.sign({ content: `${i} ${big}` }));
      if (!ok[2]) refused = ok;
    }
    expect(refused?.[3]).toMatch(/^error: /);
    expect(await health(peer)).toMatchObject({ status: 503, body: { status: 'error', services: { database: 'error' } } });

    rmSync(filler);
    const ok = await c.publish(author.sign({ content: 'room again' }));
    expect(ok[2]).toBe(true);
    expect(await health(peer)).toMatchObject({ status: 200, body: { status: 'ok', services: { database: 'ok' } } });
    await c.close();
  });
});
