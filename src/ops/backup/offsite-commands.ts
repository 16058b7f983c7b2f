import { existsSync } from 'node:fs';
import type { Config } from '../../config/load';
import { BackupError } from './backup-database';
import { listPublished } from './offsite-manifest';
import { restoreOffsite } from './offsite-restore';
import { pruneOffsite } from './offsite-retention';
import { shipFull, shipLedger } from './offsite-ship';
import { verifyOffsite } from './offsite-verify';
import { S3Target } from './s3-target';

type Print = (line: string) => void;

const MiB = 1024 * 1024;

function needsUrl(config: Config): void {
  if (!config.backupUrl) throw new BackupError('off-site backups need BACKUP_URL=s3://bucket/prefix (and BACKUP_ENCRYPTION_KEY); see docs/operations.md');
}

async function withTarget<T>(config: Config, use: (t: S3Target) => Promise<T>): Promise<T> {
  needsUrl(config);
  const target = new S3Target(config);
  try {
    return await use(target);
  } finally {
    target.destroy();
  }
}

/**
 * `backup --offsite` (the whole database now, then the retention), `backup --ledger` (the money tables now) and
 * `backup --verify` (the restore test now). The scheduled jobs of a serving peer are these same commands in a
 * child process; the last line printed is the result as JSON.
 */
export async function offsiteBackupCommand(config: Config, database: string, flag: string, print: Print): Promise<void> {
  if (flag !== '--verify' && !existsSync(database)) throw new BackupError(`no database at ${database} (is DATA_DIR right?)`);
  await withTarget(config, async (target) => {
    if (flag === '--verify') {
      const r = await verifyOffsite(config, target);
      print(r.ok ? `backup: restore test of ${r.name} passed: ${r.events} events, ${r.accounts} accounts, ledger sums to zero` : `backup: restore test failed: ${r.message}`);
      print(JSON.stringify(r));
      return;
    }
    if (flag === '--ledger') {
      const m = await shipLedger(config, database, target);
      print(`backup: ledger snapshot ${target.url(m.name)} (${m.storedBytes} bytes)`);
      print(JSON.stringify(m));
      return;
    }
    const started = Date.now();
    let last = -10;
    print(`backup: copying ${database} and uploading it to ${config.backupUrl}${config.backupEncryptionKey === 'none' ? ' UNENCRYPTED (BACKUP_ENCRYPTION_KEY=none)' : ', encrypted'}`);
    const m = await shipFull(config, database, target, undefined, (done, total) => {
      const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
      if (pct < last + 10) return;
      last = pct;
      print(`backup: uploading ${String(pct).padStart(3)}% (${(done / MiB).toFixed(1)}/${(total / MiB).toFixed(1)} MiB)`);
    });
    const pruned = await pruneOffsite(target, config.backupKeepDaily, config.backupKeepMonthly);
    print(`backup: ${target.url(m.name)}: ${m.events} events, ${(m.storedBytes / MiB).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s; ${pruned.length} old object(s) pruned`);
    print(JSON.stringify(m));
  });
}

/** `restore --latest` and `restore s3://…/<name>`. */
export async function offsiteRestoreCommand(config: Config, database: string, which: string, print: Print): Promise<void> {
  const r = await restoreOffsite(config, database, which === '--latest' ? 'latest' : which, print);
  print(`restore: done: ${r.full.name} (${r.full.snapshotAt})${r.ledger ? ` with money up to ${r.ledger.snapshotAt}` : ''}`);
}

/** The off-site half of `backup --list`: newest first, with sizes and ages. */
export async function listOffsite(config: Config, print: Print, age: (ms: number) => string, now = Date.now()): Promise<object[]> {
  if (!config.backupUrl) {
    print('backup: off-site backups are off (BACKUP_URL is empty)');
    return [];
  }
  return withTarget(config, async (target) => {
    const all = await listPublished(target);
    if (all.length === 0) print(`backup: no off-site backups in ${config.backupUrl}`);
    for (const m of all) {
      const at = Date.parse(m.snapshotAt);
      print(`${target.url(m.name)}  ${m.kind}  ${(m.storedBytes / MiB).toFixed(1)} MiB  ${age(now - at)} ago  (${m.snapshotAt})`);
    }
    return all.map((m) => ({ url: target.url(m.name), kind: m.kind, bytes: m.storedBytes, at: m.snapshotAt }));
  });
}
