import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load';
import { composePeer } from '../../src/peer/compose-peer';
import { backupDatabase } from '../../src/ops/backup/backup-database';
import { backupsDir } from '../../src/ops/backup/backup-files';
import { restoreDatabase } from '../../src/ops/backup/restore-database';
import { startPeer } from '../../src/library';
import { openDatabase } from '../../src/storage/database';

const root = mkdtempSync(path.join(tmpdir(), 'modes-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => `0${(statSync(p).mode & 0o777).toString(8)}`;

describe('DATA_DIR and everything in it are private to the peer user', () => {
  it('a new DATA_DIR is 0700; peer.sqlite, its -wal and -shm, and backups 0600, whatever the umask', async () => {
    const old = process.umask(0o022);
    try {
      const dataDir = path.join(root, 'fresh', 'data');
      const peer = await startPeer({ DATA_DIR: dataDir, BACKUP_INTERVAL: 'off' });
      try {
        const db = path.join(dataDir, 'peer.sqlite');
        expect(mode(dataDir)).toBe('0700');
        expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual(['0600', '0600', '0600']);
        const backup = path.join(dataDir, 'b.sqlite');
        await backupDatabase(db, backup);
        expect(mode(backup)).toBe('0600');
      } finally {
        await peer.stop();
      }
    } finally {
      process.umask(old);
    }
  });

  it('an existing DATA_DIR and database left 0755/0644 are made 0700/0600 at start', async () => {
    const dataDir = path.join(root, 'loose');
    openDatabase(path.join(dataDir, 'peer.sqlite')).close();
    chmodSync(dataDir, 0o755);
    chmodSync(path.join(dataDir, 'peer.sqlite'), 0o644);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const peer = await composePeer(loadConfig({ PORT: 0, HOST: '127.0.0.1', DATA_DIR: dataDir, BACKUP_INTERVAL: 'off' }), pino(sink));
    try {
      expect(mode(dataDir)).toBe('0700');
      expect(mode(path.join(dataDir, 'peer.sqlite'))).toBe('0600');
      const said = lines.filter((l) => l.msg === 'was readable by others: made private to this user');
      expect(said.map(({ path: p, was }) => ({ p, was }))).toEqual([
        { p: dataDir, was: '0755' },
        { p: path.join(dataDir, 'peer.sqlite'), was: '0644' },
      ]);
    } finally {
      await peer.stop();
    }
  });

  it('the backups folder is 0700 and a restored database 0600', async () => {
    const old = process.umask(0o022);
    try {
      const dataDir = path.join(root, 'restore');
      const source = path.join(root, 'source.sqlite');
      openDatabase(source).close();
      chmodSync(source, 0o644);
      const peer = await startPeer({ DATA_DIR: dataDir, BACKUP_INTERVAL: '1' });
      try {
        await expect.poll(() => statSync(backupsDir(dataDir), { throwIfNoEntry: false }) !== undefined, { timeout: 5000 }).toBe(true);
        expect(mode(backupsDir(dataDir))).toBe('0700');
      } finally {
        await peer.stop();
      }
      await restoreDatabase(source, path.join(dataDir, 'peer.sqlite'));
      expect(mode(path.join(dataDir, 'peer.sqlite'))).toBe('0600');
    } finally {
      process.umask(old);
    }
  });
});
