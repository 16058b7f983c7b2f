import type { Db } from './database';

/**
 * Group commit for every write of the peer: the first write in an event-loop turn opens one transaction, each
 * write runs in it at once (in its own savepoint, so its result is known and a failure undoes only it), and the
 * turn's writes are committed together — one fsync — just after the turn. Whoever must not answer before the
 * data is on disk (an `OK true`, a Fulfill that credited a balance) waits for `durable()`.
 */
export class Committer {
  private open = false;
  private waiting: ((committed: boolean) => void)[] = [];
  private current?: Promise<boolean>;
  commits = 0;
  writes = 0;

  constructor(
    private readonly db: Db,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `fn` now in this turn's transaction; throws what `fn` throws, after rolling back just `fn`'s writes. */
  run<T>(fn: () => T): T {
    if (!this.open) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      setImmediate(() => this.commit());
    }
    const result = this.db.transaction(fn)();
    this.writes++;
    return result;
  }

  /** Resolves once everything written so far is committed (true) or was rolled back by a failed commit (false). */
  durable(): Promise<boolean> {
    if (!this.open) return Promise.resolve(true);
    return (this.current ??= new Promise((resolve) => this.waiting.push(resolve)));
  }

  /** Commits the open transaction now (also called at shutdown). */
  commit(): void {
    if (!this.open) return;
    this.open = false;
    const waiting = this.waiting;
    this.waiting = [];
    this.current = undefined;
    let committed = true;
    try {
      this.db.exec('COMMIT');
      this.commits++;
    } catch (err) {
      committed = false;
      this.onError(err);
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    }
    for (const resolve of waiting) resolve(committed);
  }
}
