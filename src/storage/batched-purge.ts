import type { Logger } from 'pino';
import type { Db } from './database';

export interface BatchedPurge {
  /** Runs a batch on the next turn of the event loop, unless one is already due. */
  kick(): void;
  stop(): void;
}

/**
 * A background deletion in batches: each batch one transaction, the next one on the following turn of the event
 * loop while a batch comes back full, so other writes go on in between. `batch(max)` deletes up to `max` rows and
 * returns how many it deleted; `what` names the job in the log (`<what> failed`).
 */
export function batchedPurge(db: Db, max: number, batch: (max: number) => number, log: Logger, what: string): BatchedPurge {
  let stopped = false;
  let pending: NodeJS.Immediate | undefined;
  const run = () => {
    pending = undefined;
    if (stopped) return;
    try {
      const n = db.transaction(() => batch(max))();
      if (n > 0) log.debug({ purged: n }, `${what}: deleted a batch`);
      if (n === max) pending = setImmediate(run);
    } catch (err) {
      log.error({ err }, `${what} failed`);
    }
  };
  return {
    kick: () => {
      if (!stopped) pending ??= setImmediate(run);
    },
    stop: () => {
      stopped = true;
      if (pending) clearImmediate(pending);
    },
  };
}
