import type { Config } from '../../config/load';
import { offsiteHealth, type JobStatus, type OffsiteStatus } from './offsite-status';

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

const job = (j: JobStatus) => ({
  successes: j.successes,
  failures: j.failures,
  last: j.last ? { at: iso(j.last.at), name: j.last.name, bytes: j.last.storedBytes } : null,
  lastFailure: j.lastFailure ? { at: iso(j.lastFailure.at), message: j.lastFailure.message } : null,
  nextAt: iso(j.nextAt),
});

/** The dashboard's off-site card: where, how fresh, what runs next, and the last restore test. */
export function offsiteSummary(s: OffsiteStatus, config: Config, startedAt: number, now = Date.now()) {
  const h = offsiteHealth(s, config, startedAt, now);
  return {
    url: config.backupUrl,
    encrypted: config.backupEncryptionKey !== 'none',
    status: h.backup,
    newestAt: iso(s.lastGoodAt),
    ageSeconds: h.backupAge,
    running: s.running ?? null,
    full: job(s.full),
    ledger: job(s.ledger),
    verify: {
      ...job(s.verify),
      result: s.verify.result
        ? { at: iso(s.verify.result.at), ok: s.verify.result.ok, name: s.verify.result.name ?? null, events: s.verify.result.events ?? null, message: s.verify.result.message ?? null }
        : null,
    },
  };
}
