import type { Logger } from 'pino';
import { batchedPurge } from './batched-purge';
import type { Db } from './database';
import type { EventStore } from './events';
import { VANISH_BATCH } from './vanish';

/**
 * NIP-62: deletes what requests to vanish left behind (a history larger than one batch), one batch per transaction
 * and one per turn of the event loop, so other writes go on between batches. Starts with any left by the last
 * run, then whenever a request leaves a backlog. Returns the function that stops it.
 */
export function startVanishPurge(db: Db, store: EventStore, log: Logger): () => void {
  const purge = batchedPurge(db, VANISH_BATCH, (max) => store.purgeVanished(max), log, 'vanish purge');
  store.onVanishBacklog = purge.kick;
  purge.kick();
  return () => {
    store.onVanishBacklog = undefined;
    purge.stop();
  };
}
