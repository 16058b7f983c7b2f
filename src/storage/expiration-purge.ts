import type { Logger } from 'pino';
import { batchedPurge } from './batched-purge';
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
  const purge = batchedPurge(db, BATCH, (max) => store.purgeExpired(Math.floor(Date.now() / 1000), max), log, 'expiration purge');
  const timer = setInterval(purge.kick, intervalSeconds * 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    purge.stop();
  };
}
