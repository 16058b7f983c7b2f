import type { Logger } from 'pino';
import type { Db } from './database';
import type { EventStore } from './events';

/** Expired events deleted per transaction; a backlog continues on the next turn of the event loop. */
const BATCH = 1000;

/**
 * NIP-40: every `intervalSeconds`, deletes expired events (queries already hide them; this frees the space).
 * Returns the function that stops it.
 */
export function startExpirationPurge(db: Db, store: EventStore, intervalSeconds: number, log: Logger): () => void {
  if (intervalSeconds === 0) return () => {};
  let stopped = false;
  let pending: NodeJS.Immediate | undefined;
  const purge = () => {
    pending = undefined;
    if (stopped) return;
    try {
      const n = db.transaction(() => store.purgeExpired(Math.floor(Date.now() / 1000), BATCH))();
      if (n > 0) log.debug({ purged: n }, 'purged expired events');
      if (n === BATCH) pending = setImmediate(purge);
    } catch (err) {
      log.error({ err }, 'expiration purge failed');
    }
  };
  const timer = setInterval(() => pending ?? purge(), intervalSeconds * 1000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    if (pending) clearImmediate(pending);
  };
}
