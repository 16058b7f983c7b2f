import { auditLedger } from '../../ledger/audit-ledger';
import { fetchBackup } from './offsite-restore';
import type { OffsiteConfig } from './offsite-ship';
import type { S3Target } from './s3-target';
import { inspect, openFile } from './sqlite-file';

export interface VerifyResult {
  at: number;
  ok: boolean;
  name?: string;
  snapshotAt?: string;
  events?: number;
  accounts?: number;
  /** Why it failed. */
  message?: string;
  ms: number;
}

/**
 * The weekly restore test: the newest off-site backup (with its newer ledger snapshot) is downloaded into a work
 * folder, decrypted, checked (integrity_check, the schema, the ledger sums to zero and its journal replays), its
 * events counted, and deleted. Never throws: a failure is a result.
 */
export async function verifyOffsite(config: OffsiteConfig, target: S3Target, signal?: AbortSignal): Promise<VerifyResult> {
  const at = Date.now();
  const result = (r: Omit<VerifyResult, 'at' | 'ms'>): VerifyResult => ({ at, ...r, ms: Date.now() - at });
  let fetched;
  try {
    fetched = await fetchBackup(config, target, 'latest', undefined, signal);
  } catch (err) {
    return result({ ok: false, message: (err as Error).message });
  }
  if (!fetched) return result({ ok: false, message: 'no off-site backup to verify' });
  const { full } = fetched;
  try {
    const check = inspect(fetched.file);
    if (!check.ok) return result({ ok: false, name: full.name, snapshotAt: full.snapshotAt, message: check.reason });
    const db = openFile(fetched.file, { readonly: true });
    let problem: string | undefined;
    try {
      problem = auditLedger(db);
    } finally {
      db.close();
    }
    const base = { name: full.name, snapshotAt: full.snapshotAt, events: check.events, accounts: check.accounts };
    return result(problem ? { ok: false, ...base, message: problem } : { ok: true, ...base });
  } finally {
    fetched.done();
  }
}
