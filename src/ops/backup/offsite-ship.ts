import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/load';
import { PRIVATE_DIR_MODE } from '../../storage/private-files';
import { backupDatabase } from './backup-database';
import { lastJournalId, takeLedgerSnapshot } from './ledger-snapshot';
import { offsiteName, type Manifest } from './offsite-manifest';
import { shipFile, type BackupKey } from './offsite-transfer';
import type { S3Target } from './s3-target';
import { openFile } from './sqlite-file';

export type OffsiteConfig = Pick<
  Config,
  | 'dataDir'
  | 'backupUrl'
  | 'backupS3Endpoint'
  | 'awsAccessKeyId'
  | 'awsSecretAccessKey'
  | 'awsRegion'
  | 'backupEncryptionKey'
  | 'backupKeepDaily'
  | 'backupKeepMonthly'
>;

export const offsiteKey = (config: OffsiteConfig): BackupKey => config.backupEncryptionKey ?? 'none';

/** Where backups are prepared and downloads land before they are checked: on the volume, never in the bucket. */
const workRoot = (dataDir: string) => path.join(dataDir, 'offsite-tmp');

/**
 * A fresh private folder for one job, named with this process's pid; `done()` deletes it and everything in it,
 * whatever happened. Folders of processes that no longer run (kill -9, power loss) are deleted first.
 */
export function workDir(dataDir: string, job: string): { dir: string; done(): void } {
  mkdirSync(workRoot(dataDir), { recursive: true, mode: PRIVATE_DIR_MODE });
  cleanStaleWork(dataDir);
  const dir = mkdtempSync(path.join(workRoot(dataDir), `${job}-${process.pid}-`));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Deletes the work folders whose process is gone. */
export function cleanStaleWork(dataDir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(workRoot(dataDir));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(/^[a-z]+-(\d+)-/.exec(n)?.[1]);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(path.join(workRoot(dataDir), n), { recursive: true, force: true });
  }
}

type Progress = (done: number, total: number) => void;

/**
 * The whole database off-site: an online backup into a work folder (checked with integrity_check and the schema
 * check, as a local backup is), then encrypted and streamed to the bucket, then its manifest. A full disk or a
 * failed upload leaves nothing behind on the volume, and nothing listed in the bucket.
 */
export async function shipFull(
  config: OffsiteConfig,
  database: string,
  target: S3Target,
  signal?: AbortSignal,
  onProgress?: Progress,
): Promise<Manifest> {
  const work = workDir(config.dataDir, 'full');
  try {
    const file = path.join(work.dir, 'peer.sqlite');
    const r = await backupDatabase(database, file, undefined, signal);
    const copy = openFile(file, { readonly: true });
    let journalId: number;
    try {
      journalId = lastJournalId(copy);
    } finally {
      copy.close();
    }
    const key = offsiteKey(config);
    const name = offsiteName('full', new Date(r.snapshotAt), key !== 'none');
    const meta = { kind: 'full' as const, name, snapshotAt: new Date(r.snapshotAt).toISOString(), schemaVersion: r.schemaVersion, events: r.events, accounts: r.accounts, journalId };
    return await shipFile(target, file, key, meta, signal, onProgress);
  } finally {
    work.done();
  }
}

/** The money tables off-site (ledger-snapshot.ts): small, taken every BACKUP_LEDGER_INTERVAL when money moved. */
export async function shipLedger(config: OffsiteConfig, database: string, target: S3Target, signal?: AbortSignal): Promise<Manifest> {
  const work = workDir(config.dataDir, 'ledger');
  try {
    const file = path.join(work.dir, 'ledger.sqlite');
    const s = takeLedgerSnapshot(database, file);
    const key = offsiteKey(config);
    const name = offsiteName('ledger', new Date(s.snapshotAt), key !== 'none');
    const meta = { kind: 'ledger' as const, name, snapshotAt: new Date(s.snapshotAt).toISOString(), schemaVersion: s.schemaVersion, events: 0, accounts: s.accounts, journalId: s.journalId };
    return await shipFile(target, file, key, meta, signal);
  } finally {
    work.done();
  }
}
