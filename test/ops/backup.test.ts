import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceAccount } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { replayJournal } from '../../src/ledger/replay-journal';
import { backupDatabase } from '../../src/ops/backup/backup-database';
import { backupName, listBackups, pruneBackups } from '../../src/ops/backup/backup-files';
import { restoreDatabase } from '../../src/ops/backup/restore-database';
import { scheduleBackups } from '../../src/ops/backup/schedule-backups';
import { startPeer, type StartedPeer } from '../../src/library';
import { openDatabase, type Db } from '../../src/storage/database';
import { signer, TestClient, type Signer } from '../helpers/client';

const PRICE = 10n;
const root = mkdtempSync(path.join(tmpdir(), 'backup-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What must survive a backup exactly: events, and the ledger's accounts and journal. */
function state(db: Db) {
  const one = (sql: string) => db.prepare(sql).pluck().safeIntegers(true).get() as bigint;
  return {
    events: one('SELECT count(*) FROM events'),
    journal: one('SELECT count(*) FROM journal'),
    revenue: one(`SELECT coalesce(sum(credits_posted), 0) FROM accounts WHERE path = 'revenue/relay-fees'`),
    balances: one(`SELECT coalesce(sum(credits_posted - debits_posted), 0) FROM accounts WHERE path LIKE 'liabilities/balances/%'`),
    total: one('SELECT coalesce(sum(credits_posted - debits_posted + credits_pending - debits_pending), 0) FROM accounts'),
  };
}

const stateOf = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return state(db);
  } finally {
    db.close();
  }
};

describe('online backup of a serving peer', () => {
  let peer: StartedPeer;
  let side: Db;
  let ledger: Ledger;
  const writers: Signer[] = [signer(), signer(), signer()];
  let file: string;

  beforeAll(async () => {
    peer = await startPeer({ PRICE_BASE: String(PRICE), DATA_DIR: path.join(root, 'live'), RATE_EVENTS_PER_IP: '0', RATE_EVENTS_PER_PUBKEY: '0' });
    file = path.join(peer.config.dataDir, 'peer.sqlite');
    side = openDatabase(file);
    side.pragma('busy_timeout = 0');
    ledger = new Ledger(side);
    for (const w of writers) ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(w.pubkey), amount: 1_000_000n });
    // Enough data for the copy to take many steps (~12 MB: ~3,000 pages, 256 pages a step), in few big events
    // (signing is the slow part of a test).
    const c = await TestClient.connect(peer.url);
    const filler = 'x'.repeat(80_000);
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 150; i++) c.send(['EVENT', writers[i % 3].sign({ content: `${i} ${filler}`, created_at: now - 3600 })]);
    await c.next(() => c.messages.filter((x) => x[0] === 'OK' && x[2] === true).length === 150, 20_000);
    await c.close();
  });
  afterAll(async () => {
    side.close();
    await peer.stop();
  });

  it('restores to exactly the state committed when it started, while events and payments kept coming', async () => {
    const c = await TestClient.connect(peer.url);
    let writing = true;
    let acked = 0;
    const publisher = (async () => {
      for (let i = 0; writing; i++) {
        const ok = await c.publish(writers[i % 3].sign({ content: `during ${i}`, created_at: Math.floor(Date.now() / 1000) }));
        expect(ok[2]).toBe(true);
        acked++;
      }
    })();
    await c.next((m) => m[0] === 'OK'); // writes are flowing

    const dest = path.join(root, 'during.sqlite');
    const steps: number[] = [];
    // The snapshot is fixed synchronously inside backupDatabase(): nothing can commit between these two lines.
    const expected = state(side);
    const expectedByWriter1 = side.prepare('SELECT count(*) FROM events WHERE pubkey = ?').pluck().get(writers[1].pubkey) as number;
    // A payment committed by another connection in the middle of the copy. The peer holds SQLite's write lock
    // for the rest of an event-loop turn while it group-commits, so this writer retries instead of blocking
    // the loop (a blocked loop could never let the peer commit).
    const payments: Promise<void>[] = [];
    const payFromOutside = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const attempt = () => {
          try {
            ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(writers[0].pubkey), amount: 1n });
            resolve();
          } catch (err) {
            if ((err as { code?: string }).code === 'SQLITE_BUSY') setTimeout(attempt, 1);
            else reject(err);
          }
        };
        attempt();
      });
    const backup = backupDatabase(file, dest, (p) => {
      steps.push(p.remainingPages);
      payments.push(payFromOutside());
    });
    const ackedAtStart = acked;
    const result = await backup;
    await Promise.all(payments);
    writing = false;
    await publisher;
    await c.close();

    expect(steps.length).toBeGreaterThan(5);
    expect(acked).toBeGreaterThan(ackedAtStart); // events were stored while the copy ran
    const after = state(side);
    expect(after.events).toBeGreaterThan(expected.events);
    expect(after.journal).toBeGreaterThan(expected.journal + BigInt(steps.length) - 1n);

    expect(result.events).toBe(Number(expected.events));
    const copy = stateOf(dest);
    expect(copy).toEqual(expected);
    expect(copy.total).toBe(0n);
    expect(copy.revenue).toBe(PRICE * (copy.events)); // every stored event paid for, in the same snapshot

    // Restore it into a fresh data dir and start a peer on it: the same events, the same money.
    const dataDir = path.join(root, 'restored');
    const r = await restoreDatabase(dest, path.join(dataDir, 'peer.sqlite'));
    expect(r.keptAside).toBeUndefined();
    const restored = await startPeer({ DATA_DIR: dataDir });
    try {
      const db = new Database(path.join(dataDir, 'peer.sqlite'), { readonly: true });
      expect(state(db)).toEqual(expected);
      const replayed = replayJournal(db);
      expect(replayed.get('revenue/relay-fees')!.creditsPosted).toBe(expected.revenue);
      db.close();
      const reader = await TestClient.connect(restored.url);
      expect((await reader.req('c', { authors: [writers[1].pubkey], limit: 5000 })).events.length).toBe(expectedByWriter1);
      await reader.close();
    } finally {
      await restored.stop();
    }
  });
});

describe('restore', () => {
  let good: string;
  let dataDir: string;
  let database: string;
  let before: ReturnType<typeof state>;

  beforeAll(async () => {
    dataDir = path.join(root, 'target');
    const peer = await startPeer({ DATA_DIR: dataDir });
    const c = await TestClient.connect(peer.url);
    const s = signer();
    for (let i = 0; i < 20; i++) expect((await c.publish(s.sign({ content: `kept ${i}` })))[2]).toBe(true);
    await c.close();
    await peer.stop();
    database = path.join(dataDir, 'peer.sqlite');
    before = stateOf(database);
    // A good backup with other content: 50 events of its own.
    const other = await startPeer({ DATA_DIR: path.join(root, 'other') });
    const c2 = await TestClient.connect(other.url);
    for (let i = 0; i < 50; i++) expect((await c2.publish(s.sign({ content: `other ${i}` })))[2]).toBe(true);
    await c2.close();
    good = path.join(root, 'good.sqlite');
    await backupDatabase(path.join(root, 'other', 'peer.sqlite'), good);
    await other.stop();
  });

  const untouched = () => {
    expect(stateOf(database)).toEqual(before);
    expect(readdirSync(dataDir).filter((f) => /restoring|before-restore/.test(f))).toEqual([]);
  };

  it('refuses a truncated backup with a clear message, and nothing is lost', async () => {
    const truncated = path.join(root, 'truncated.sqlite');
    copyFileSync(good, truncated);
    truncateSync(truncated, Math.floor(readFileSync(good).length / 2));
    await expect(restoreDatabase(truncated, database)).rejects.toThrow(/refused: .*truncated\.sqlite is truncated: its header says \d+ bytes, the file has \d+; nothing was changed/);
    untouched();
  });

  it('refuses a file that is not SQLite, a SQLite file of something else, and a corrupt one', async () => {
    const text = path.join(root, 'notes.txt');
    writeFileSync(text, 'these are not the bytes you are looking for\n'.repeat(10));
    await expect(restoreDatabase(text, database)).rejects.toThrow(/notes\.txt is not a SQLite database/);

    const foreign = path.join(root, 'foreign.sqlite');
    const f = new Database(foreign);
    f.exec('CREATE TABLE songs (title TEXT)');
    f.close();
    await expect(restoreDatabase(foreign, database)).rejects.toThrow(/foreign\.sqlite is a SQLite database but not one of this peer/);

    const lookalike = path.join(root, 'lookalike.sqlite');
    const l = new Database(lookalike);
    l.exec('CREATE TABLE events (id TEXT)');
    l.pragma('user_version = 2');
    l.close();
    await expect(restoreDatabase(lookalike, database)).rejects.toThrow(/not one of this peer: .*missing: .*table accounts/);

    const corrupt = path.join(root, 'corrupt.sqlite');
    const bytes = readFileSync(good);
    // Scribble over a page in the middle (past the schema page): the header stays valid.
    bytes.fill(0xa5, 4096 * 3 + 100, 4096 * 3 + 2000);
    writeFileSync(corrupt, bytes);
    await expect(restoreDatabase(corrupt, database)).rejects.toThrow(/refused: .*(corrupt|malformed)/);

    await expect(restoreDatabase(path.join(root, 'missing.sqlite'), database)).rejects.toThrow(/missing\.sqlite does not exist/);
    untouched();
  });

  it('refuses while a peer serves from the data dir', async () => {
    const peer = await startPeer({ DATA_DIR: dataDir });
    try {
      await expect(restoreDatabase(good, database)).rejects.toThrow(/a peer \(pid \d+\) is serving from .*; stop it first/);
    } finally {
      await peer.stop();
    }
    untouched();
  });

  it('swaps a good backup in atomically and keeps the old database aside', async () => {
    const lines: string[] = [];
    const r = await restoreDatabase(good, database, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^restore: checking /);
    expect(lines).toContain('restore: checking the copy (integrity_check)');
    expect(lines.some((l) => /^restore: 100% \(\d+\/\d+ pages\)$/.test(l))).toBe(true);
    expect(r.events).toBe(50);
    expect(stateOf(database).events).toBe(50n);
    expect(r.keptAside).toMatch(/peer\.sqlite\.before-restore-\d{8}T\d{6}Z$/);
    expect(stateOf(r.keptAside!)).toEqual(before);
    expect(existsSync(`${database}.restoring`)).toBe(false);
    const peer = await startPeer({ DATA_DIR: dataDir });
    const c = await TestClient.connect(peer.url);
    expect((await c.req('all', { limit: 100 })).events).toHaveLength(50);
    await c.close();
    await peer.stop();
  });
});

describe('scheduled backups and retention', () => {
  it('retention deletes only the oldest backups, never other files', () => {
    const dir = path.join(root, 'retention');
    rmSync(dir, { recursive: true, force: true });
    const mk = (name: string) => (writeFileSync(path.join(dir, name), name), name);
    mkdirSync(dir, { recursive: true });
    const names = [5, 1, 4, 2, 3].map((d) => mk(backupName(new Date(Date.UTC(2025, 0, d, 3, 0, 0)))));
    const others = [mk('manual-copy.sqlite'), mk('notes.txt'), mk('peer.sqlite')];
    const fresh = mk(`${backupName(new Date(Date.UTC(2025, 0, 9)))}.partial`);
    const stale = mk(`${backupName(new Date(Date.UTC(2025, 0, 8)))}.partial`);
    utimesSync(path.join(dir, stale), new Date(Date.UTC(2025, 0, 8)), new Date(Date.UTC(2025, 0, 8)));
    const deleted = pruneBackups(dir, 3).map((f) => path.basename(f));
    expect(deleted).toEqual([names[1], names[3], stale]);
    expect(readdirSync(dir).sort()).toEqual([names[4], names[2], names[0], ...others, fresh].sort());
    expect(listBackups(dir).map((b) => new Date(b.at).getUTCDate())).toEqual([3, 4, 5]);
  });

  it('takes consistent backups on demand, keeps the newest BACKUP_KEEP, and reports them', async () => {
    const peer = await startPeer({ DATA_DIR: path.join(root, 'scheduled') });
    const file = path.join(peer.config.dataDir, 'peer.sqlite');
    const dir = path.join(peer.config.dataDir, 'backups');
    const schedule = scheduleBackups({ database: file, dataDir: peer.config.dataDir, dir, intervalSeconds: 0, keep: 2, log: pino({ level: 'silent' }) });
    const c = await TestClient.connect(peer.url);
    const s = signer();
    const made: string[] = [];
    for (let i = 1; i <= 3; i++) {
      expect((await c.publish(s.sign({ content: `round ${i}` })))[2]).toBe(true);
      const r = await schedule.runNow();
      expect(r?.events).toBe(i);
      made.push(path.basename(r!.file));
    }
    expect(listBackups(dir).map((b) => b.name)).toEqual(made.slice(1));
    expect(stateOf(path.join(dir, made[2])).events).toBe(3n);
    expect(schedule.status).toMatchObject({ successes: 3, failures: 0, running: false });
    expect(schedule.status.nextAt).toBeUndefined();
    await schedule.stop();
    expect(await schedule.runNow()).toBeUndefined();
    await c.close();
    await peer.stop();
  });
});
