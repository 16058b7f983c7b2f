import { isOffsiteName, MANIFESTS, OBJECTS, timeOfName } from './offsite-manifest';
import type { S3Target } from './s3-target';

/** Ledger snapshots kept beyond the newest full backup: the newest one, and one more should it be unreadable. */
const KEEP_LEDGER = 2;
/** An object without a manifest this old is an upload that died before publishing (kill -9): deleted. */
const ORPHAN_MS = 24 * 3600 * 1000;

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const month = (t: number) => new Date(t).toISOString().slice(0, 7);

/**
 * Which backups to keep, as restic's --keep-daily/--keep-monthly: the newest backup of each of the `keepDaily`
 * latest UTC days that have one, and of each of the `keepMonthly` latest months that have one, and always the
 * newest of all. Of the ledger snapshots, only the newest few taken after the newest full backup are worth
 * keeping (an older one is contained in that full backup). Pure: names in, names to keep out.
 */
export function planRetention(names: string[], keepDaily: number, keepMonthly: number): Set<string> {
  const full = names.filter((n) => n.startsWith('peer-')).sort((a, b) => timeOfName(b) - timeOfName(a));
  const keep = new Set<string>(full.slice(0, 1));
  for (const [bucketOf, count] of [[day, keepDaily], [month, keepMonthly]] as const) {
    const seen = new Set<string>();
    for (const n of full) {
      const b = bucketOf(timeOfName(n));
      if (seen.has(b)) continue;
      if (seen.size >= count) break;
      seen.add(b);
      keep.add(n);
    }
  }
  const newestFull = full.length > 0 ? timeOfName(full[0]) : -Infinity;
  const ledger = names
    .filter((n) => n.startsWith('ledger-') && timeOfName(n) > newestFull)
    .sort((a, b) => timeOfName(b) - timeOfName(a))
    .slice(0, KEEP_LEDGER);
  for (const n of ledger) keep.add(n);
  return keep;
}

/**
 * Applies the retention to the bucket: the manifest goes first (the backup stops being listed), then its object;
 * objects that never got a manifest go once they are a day old. Returns the names deleted.
 */
export async function pruneOffsite(target: S3Target, keepDaily: number, keepMonthly: number, now = Date.now()): Promise<string[]> {
  const manifests = (await target.list(MANIFESTS)).map((o) => o.key.slice(MANIFESTS.length).replace(/\.json$/, '')).filter(isOffsiteName);
  const keep = planRetention(manifests, keepDaily, keepMonthly);
  const doomed = manifests.filter((n) => !keep.has(n));
  await target.remove(doomed.map((n) => `${MANIFESTS}${n}.json`));
  const listed = new Set(manifests.filter((n) => keep.has(n)));
  const objects = await target.list(OBJECTS);
  const orphans = objects
    .map((o) => ({ name: o.key.slice(OBJECTS.length), modified: o.modified }))
    .filter((o) => !listed.has(o.name) && (doomed.includes(o.name) || now - o.modified > ORPHAN_MS));
  await target.remove(orphans.map((o) => `${OBJECTS}${o.name}`));
  // Parts of uploads cut by kill -9 are billed until aborted. Not every S3-compatible service lists them: a
  // bucket lifecycle rule (AbortIncompleteMultipartUpload, docs/operations.md) covers those.
  await target.abortUploads(OBJECTS, now - ORPHAN_MS).catch(() => 0);
  return [...new Set([...doomed, ...orphans.map((o) => o.name)])];
}
