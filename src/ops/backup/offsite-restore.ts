import path from 'node:path';
import { DataDirBusyError, lockDataDir } from '../../peer/data-dir-lock';
import { applyLedgerSnapshot } from './ledger-snapshot';
import { listPublished, readManifest, type Manifest } from './offsite-manifest';
import { offsiteKey, workDir, type OffsiteConfig } from './offsite-ship';
import { fetchFile } from './offsite-transfer';
import { restoreDatabase, RestoreError, type RestoreResult } from './restore-database';
import { S3Target } from './s3-target';

type Say = (line: string) => void;

export interface Fetched {
  /** The decrypted, checked database, with the newer ledger snapshot applied when there was one. */
  file: string;
  full: Manifest;
  ledger?: Manifest;
  /** Deletes the download. */
  done(): void;
}

const MiB = 1024 * 1024;

/** `download: 40% (12.0/30.0 MiB)` at every 10%. */
function downloadPrinter(say: Say, what: string): (done: number, total: number) => void {
  let last = -10;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
    if (pct < last + 10) return;
    last = pct;
    say(`restore: downloading ${what}: ${String(pct).padStart(3)}% (${(done / MiB).toFixed(1)}/${(total / MiB).toFixed(1)} MiB)`);
  };
}

/**
 * Downloads a full backup into a work folder on the volume, decrypting and checking it against its manifest:
 * `latest` is the newest full backup plus the newest ledger snapshot taken after it (same schema), applied onto
 * it; a name is exactly that backup. Undefined when `latest` finds the bucket without a backup.
 */
export async function fetchBackup(config: OffsiteConfig, target: S3Target, which: string, say: Say = () => {}, signal?: AbortSignal): Promise<Fetched | undefined> {
  let full: Manifest | undefined;
  let ledger: Manifest | undefined;
  if (which === 'latest') {
    const published = await listPublished(target, 3);
    full = published.find((m) => m.kind === 'full');
    if (!full) return undefined;
    const f = full;
    ledger = published.find((m) => m.kind === 'ledger' && Date.parse(m.snapshotAt) > Date.parse(f.snapshotAt) && m.schemaVersion === f.schemaVersion);
  } else {
    full = await readManifest(target, which);
    if (full.kind !== 'full') throw new RestoreError(`${which} is a ledger snapshot; restore a full backup (peer-…), the newest ledger snapshot after it is applied by restore --latest`);
  }
  const key = offsiteKey(config);
  const work = workDir(config.dataDir, 'restore');
  try {
    const file = path.join(work.dir, 'peer.sqlite');
    say(`restore: ${target.url(full.name)}: snapshot of ${full.snapshotAt}, ${full.events} events, ${full.accounts} accounts, ${(full.storedBytes / MiB).toFixed(1)} MiB`);
    await fetchFile(target, full, key, file, signal, downloadPrinter(say, full.name));
    say('restore: decrypted and matches its manifest (authenticated, SHA-256)');
    if (ledger) {
      const l = path.join(work.dir, 'ledger.sqlite');
      await fetchFile(target, ledger, key, l, signal);
      applyLedgerSnapshot(file, l);
      say(`restore: money tables from the newer ledger snapshot ${ledger.name} (${ledger.snapshotAt})`);
    }
    return { file, full, ledger, done: work.done };
  } catch (err) {
    work.done();
    throw err;
  }
}

/** `s3://bucket/prefix/objects/<name>` (or …/manifests/<name>.json, or …/<name>) → the bucket under its prefix, and the name. */
export function splitBackupUrl(url: string): { backupUrl: string; name: string } {
  const m = /^s3:\/\/(.+)\/([^/]+)$/.exec(url);
  if (!m) throw new RestoreError(`expected s3://bucket/prefix/<backup name>, got ${url}`);
  return { backupUrl: `s3://${m[1].replace(/\/(objects|manifests)$/, '')}`, name: m[2].replace(/\.json$/, '') };
}

/**
 * `restore --latest` / `restore s3://…/<name>`: downloads, decrypts, verifies, then the existing safe restore
 * (restoreDatabase: integrity_check, schema, ledger audit, the old database kept aside).
 */
export async function restoreOffsite(config: OffsiteConfig, database: string, which: string, say: Say): Promise<RestoreResult & { full: Manifest; ledger?: Manifest }> {
  // Refuse before a long download, not after: a peer serving from the folder must be stopped first.
  try {
    lockDataDir(config.dataDir, 'restore')();
  } catch (err) {
    throw err instanceof DataDirBusyError ? new RestoreError(err.message) : err;
  }
  let cfg = config;
  let name = which;
  if (which !== 'latest') {
    const split = splitBackupUrl(which);
    cfg = { ...config, backupUrl: split.backupUrl };
    name = split.name;
  } else if (!config.backupUrl) {
    throw new RestoreError('restore --latest needs BACKUP_URL (and BACKUP_ENCRYPTION_KEY)');
  }
  const target = new S3Target(cfg);
  try {
    const fetched = await fetchBackup(cfg, target, name, say);
    if (!fetched) throw new RestoreError(`no off-site backup in ${cfg.backupUrl}; nothing was changed`);
    try {
      const r = await restoreDatabase(fetched.file, database, say);
      return { ...r, full: fetched.full, ledger: fetched.ledger };
    } finally {
      fetched.done();
    }
  } finally {
    target.destroy();
  }
}
