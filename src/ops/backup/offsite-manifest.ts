import type { S3Target } from './s3-target';

/**
 * What the bucket holds under BACKUP_URL:
 *
 *   objects/<name>           the backup itself (encrypted unless BACKUP_ENCRYPTION_KEY=none)
 *   manifests/<name>.json    published only after the object is complete: a backup exists when its manifest does
 *
 * `<name>` is `peer-<UTC time>.sqlite.enc` for the whole database and `ledger-<UTC time>.sqlite.enc` for a
 * snapshot of the money tables, the time being the snapshot's, so names sort as times do.
 */
export type BackupKind = 'full' | 'ledger';

export interface Manifest {
  format: 1;
  kind: BackupKind;
  name: string;
  /** When the snapshot was taken (ISO 8601): the backup holds exactly what was committed then. */
  snapshotAt: string;
  /** 'aes-256-gcm-chunked-v1' (backup-cipher.ts) or 'none'. */
  encryption: 'aes-256-gcm-chunked-v1' | 'none';
  /** Bytes of the SQLite file and of the stored object, and the object's SHA-256 (hex). */
  bytes: number;
  storedBytes: number;
  sha256: string;
  schemaVersion: number;
  events: number;
  accounts: number;
  /** The last journal row the backup holds. */
  journalId: number;
}

export const MANIFESTS = 'manifests/';
export const OBJECTS = 'objects/';
/** A manifest is a few hundred bytes; anything larger in its place is not ours. */
const MAX_MANIFEST_BYTES = 64 * 1024;
const NAME = /^(peer|ledger)-\d{8}T\d{6}\.\d{3}Z\.sqlite(\.enc)?$/;

export function offsiteName(kind: BackupKind, at: Date, encrypted: boolean): string {
  return `${kind === 'full' ? 'peer' : 'ledger'}-${at.toISOString().replace(/[-:]/g, '')}.sqlite${encrypted ? '.enc' : ''}`;
}

export const isOffsiteName = (name: string) => NAME.test(name);

export async function publishManifest(target: S3Target, m: Manifest): Promise<void> {
  await target.putSmall(`${MANIFESTS}${m.name}.json`, JSON.stringify(m));
}

export async function readManifest(target: S3Target, name: string): Promise<Manifest> {
  const m = JSON.parse(await target.getSmall(`${MANIFESTS}${name}.json`, MAX_MANIFEST_BYTES)) as Manifest;
  if (m.format !== 1 || m.name !== name || (m.kind !== 'full' && m.kind !== 'ledger')) {
    throw new Error(`${target.url(`${MANIFESTS}${name}.json`)} is not a backup manifest this peer reads`);
  }
  return m;
}

/**
 * The published backups, newest first, read from their manifests (one small GET each, only for the names asked:
 * `limit` newest of each kind, all when undefined).
 */
export async function listPublished(target: S3Target, limit?: number): Promise<Manifest[]> {
  const names = (await target.list(MANIFESTS))
    .map((o) => o.key.slice(MANIFESTS.length).replace(/\.json$/, ''))
    .filter(isOffsiteName)
    .sort((a, b) => timeOfName(b) - timeOfName(a));
  const wanted =
    limit === undefined
      ? names
      : [...names.filter((n) => n.startsWith('peer-')).slice(0, limit), ...names.filter((n) => n.startsWith('ledger-')).slice(0, limit)];
  const out: Manifest[] = [];
  for (const n of wanted) out.push(await readManifest(target, n));
  return out.sort((a, b) => Date.parse(b.snapshotAt) - Date.parse(a.snapshotAt));
}

/** Unix ms from a name such as `peer-20250131T235959.123Z.sqlite.enc`. */
export function timeOfName(name: string): number {
  const s = name.slice(name.indexOf('-') + 1, name.indexOf('-') + 20);
  return Date.parse(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 19)}Z`);
}
