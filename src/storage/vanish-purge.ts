import type { Logger } from 'pino';
import type { Db } from './database';
import type { EventStore } from './events';
import { VANISH_BATCH } from './vanish';

/**
 * NIP-62: deletes what requests to vanish left behind (a history larger than one batch), one batch per transaction
 * and one per turn of the event loop, so other writes go on between batches. Starts with any left by the last
 * run, then whenever a request leaves a backlog. Returns the function that stops it.
 */
export function startVanishPurge(db: Db, store: EventStore, log: Logger): () => void {
  let stopped = false;
  let pending: NodeJS.Immediate | undefined;
  const purge = () => {
    pending = undefined;
    if (stopped) return;
    try {
      const n = db.transaction(() => store.purgeVanished(VANISH_BATCH))();
      if (n > 0) log.debug({ purged: n }, 'deleted events of a request to vanish');
      if (n === VANISH_BATCH) pending = setImmediate(purge);
    } catch (err) {
      log.error({ err }, 'vanish purge failed');
    }
  };
  store.onVanishBacklog = () => (pending ??= setImmediate(purge));
  pending = setImmediate(purge);
  return () => {
    stopped = true;
    store.onVanishBacklog = undefined;
    if (pending) clearImmediate(pending);
  };
}
