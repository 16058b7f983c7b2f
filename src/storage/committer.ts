import { closeSync, fsync, openSync } from 'node:fs';
import type { Db } from './database';

/** Thrown inside a savepoint to undo it; never escapes. */
const UNDO = Symbol('undo');

/**
 * Group commit for every write of the peer: the first write in an event-loop turn opens one transaction, each
 * write runs in it at once (so its result is known), and the turn's writes are committed together just after
 * the turn. A write that throws (a disk error, a bug) rolls the whole turn back and fails everyone waiting on it:
 * nothing of that turn was acknowledged. Expected refusals are values, not throws, so no savepoint is needed per
 * write. The commit itself does not wait for the disk
 * (synchronous=NORMAL); one fsync of the WAL per commit runs on libuv's thread pool while the loop goes on, and
 * whoever must not answer before the data is on disk (an `OK true`, a Fulfill that credited a balance) waits for
 * `durable()`, which resolves after that fsync. So the guarantee is synchronous=FULL's, without blocking the loop.
 */
export class Committer {
  private open = false;
  private waiting: ((committed: boolean) => void)[] = [];
  private current?: Promise<boolean>;
  /** Resolves when the last commit is on disk; commits resolve in order. */
  private synced: Promise<boolean> = Promise.resolve(true);
  private walFd?: number;
  commits = 0;
  writes = 0;

  constructor(
    private readonly db: Db,
    /** The database's `-wal` file; undefined for an in-memory database (nothing to sync). */
    private readonly walFile: string | undefined,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `fn` now in this turn's transaction; if it throws, the turn is rolled back and the error rethrown. */
  run<T>(fn: () => T): T {
    if (!this.open) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      setImmediate(() => this.commit());
    }
    try {
      const result = fn();
      this.writes++;
      return result;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** What `fn` would write and answer, without keeping its writes (a savepoint that is always undone). */
  dryRun<T>(fn: () => T): T {
    let result: T | undefined;
    try {
      this.db.transaction(() => {
        result = fn();
        throw UNDO;
      })();
    } catch (err) {
      if (err !== UNDO) throw err;
    }
    return result as T;
  }

  /** Resolves once everything written so far is on disk (true) or was lost to a failed commit or sync (false). */
  durable(): Promise<boolean> {
    if (!this.open) return this.synced;
    return (this.current ??= new Promise((resolve) => this.waiting.push(resolve)));
  }

  /** Commits the open transaction now (also called at shutdown); its waiters resolve after the sync. */
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
    const flushed = committed ? this.sync() : Promise.resolve(false);
    const previous = this.synced;
    this.synced = previous.then(() => flushed);
    void this.synced.then((ok) => {
      for (const resolve of waiting) resolve(ok);
    });
  }

  private abort(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.open = false;
    const waiting = this.waiting;
    this.waiting = [];
    this.current = undefined;
    for (const resolve of waiting) resolve(false);
  }

  /** Closes the WAL handle (after the last commit, before the database closes). */
  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private sync(): Promise<boolean> {
    if (!this.walFile) return Promise.resolve(true);
    // fsync is per file, not per descriptor: our read-only handle flushes what SQLite wrote through its own.
    const fd = (this.walFd ??= openSync(this.walFile, 'r'));
    return new Promise((resolve) =>
      fsync(fd, (err) => {
        if (err) this.onError(err);
        resolve(!err);
      }),
    );
  }
}
