import type { Config } from '../../config/load';
import type { VerifyResult } from './offsite-verify';

// The off-site backups' state as /health, /metrics and the dashboard read it: apart from the schedule, so that
// reading it does not load the S3 client.

export type OffsiteJob = 'full' | 'ledger' | 'verify';

export interface JobStatus {
  successes: number;
  failures: number;
  /** Failures since the last success: the backoff's exponent. */
  consecutiveFailures: number;
  last?: { at: number; name: string; storedBytes: number; ms: number };
  lastFailure?: { at: number; message: string };
  nextAt?: number;
}

export interface OffsiteStatus {
  running?: OffsiteJob;
  full: JobStatus;
  ledger: JobStatus;
  verify: JobStatus & { result?: VerifyResult };
  /** Snapshot time (unix ms) of the newest backup known to be in the bucket, of either kind. */
  lastGoodAt?: number;
}

/** Degraded: a job is failing, the last verification failed, or the newest copy is older than twice the interval. */
export function offsiteHealth(s: OffsiteStatus, config: Pick<Config, 'backupOffsiteInterval'>, startedAt: number, now = Date.now()) {
  const allowed = 2 * config.backupOffsiteInterval * 1000;
  const age = s.lastGoodAt === undefined ? undefined : now - s.lastGoodAt;
  const stale = allowed > 0 && (age === undefined ? now - startedAt > allowed : age > allowed);
  const failing = s.full.consecutiveFailures > 0 || s.ledger.consecutiveFailures > 0 || s.verify.result?.ok === false;
  return { backup: failing || stale ? ('degraded' as const) : ('ok' as const), backupAge: age === undefined ? null : Math.round(age / 1000) };
}
