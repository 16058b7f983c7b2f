import { closeSync, fsync, openSync } from 'node:fs';
import type { Db } from './database';

/** SQLite result codes that mean the disk, not the write, failed. */
const STORAGE_FAILURE = /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY)/;

/** Thrown inside a savepoint to undo it; never escapes. */
const UNDO = Symbol('undo');

/** The result of a write, and whether it reached the disk: false if its turn was rolled back or not synced. */
export interface Written<T> {
  value: T;
  durable: Promise<boolean>;
}

interface Turn {
  waiting: ((ok: boolean) => void)[];
  durable: Promise<boolean>;
}

/**
 * Group commit for every write of the peer: the first write in an event-loop turn opens one transaction, each
 * write runs in it at once (so its result is known), and the turn's writes are committed together just after
 * the turn. The commit does not wait for the disk (synchronous=NORMAL); one fsync of the WAL per commit runs on
 * libuv's thread pool while the loop goes on, and each write's `durable` resolves after that fsync, so whoever
 * must not answer before the data is on disk (an `OK true`, a Fulfill that credited a balance) waits for it:
 * synchronous=FULL's guarantee without blocking the loop. While an fsync is under way, later turns' writes join
 * the open transaction, which commits when that fsync returns: their answers could not go out sooner anyway, and
 * under load a commit then carries many turns' writes (each commit's cost is mostly per page, not per write).
 *
 * A write that throws (a disk error, a bug) rolls its whole turn back and resolves every `durable` of that turn
 * false. A failed fsync cannot be retried safely (the kernel may have dropped the pages), so it marks the store
 * broken: every later write throws, and /health reports the database down so the process gets restarted.
 */
export class Committer {
  private turn?: Turn;
  private synced: Promise<boolean> = Promise.resolve(true);
  private walFd?: number;
  /** fsyncs under way: while there is one, the open transaction waits (see above). */
  private syncing = 0;
  private commitDeferred = false;
  broken = false;
  /**
   * The SQLite code of the last failed commit, or of a write that failed for lack of disk (SQLITE_FULL, an I/O
   * error); cleared by the next commit that succeeds. /health reports the database down meanwhile.
   */
  failing?: string;
  commits = 0;
  writes = 0;
  /** Runs after each commit (before its fsync): the WAL has grown. */
  onCommit?: () => void;

  constructor(
    private readonly db: Db,
    /** The database's `-wal` file; undefined for an in-memory database (nothing to sync). */
    private readonly walFile: string | undefined,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Runs `fn` now in this turn's transaction; if it throws, the turn is rolled back and the error rethrown. */
  run<T>(fn: () => T): Written<T> {
    if (this.broken) throw new Error('storage is broken after a failed fsync; restart the peer');
    const turn = (this.turn ??= this.begin());
    try {
      const value = fn();
      this.writes++;
      return { value, durable: turn.durable };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && STORAGE_FAILURE.test(code)) this.failing = code;
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

  /** Resolves when every write made so far has its answer (true only if the last turn reached the disk). */
  settled(): Promise<boolean> {
    return this.turn?.durable ?? this.synced;
  }

  /** Commits the open transaction now (also called at shutdown); its writes become durable after the sync. */
  commit(): void {
    const turn = this.turn;
    if (!turn) return;
    this.turn = undefined;
    let committed = false;
    if (this.broken) {
      // a turn opened before an fsync failed: its frames would follow frames that may be lost, so it is not kept
      this.db.exec('ROLLBACK');
    } else {
      try {
        this.db.exec('COMMIT');
        this.commits++;
        committed = true;
        this.failing = undefined;
      } catch (err) {
        this.failing = String((err as { code?: unknown }).code ?? 'commit failed');
        this.onError(err);
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
      }
    }
    if (committed) this.onCommit?.();
    const flushed = committed ? this.sync() : Promise.resolve(false);
    // In order: a turn's writes are answered only after the turns before it, and not at all once an fsync failed
    // (broken), even if this turn's own fsync succeeded: recovery stops at the first bad frame of the WAL.
    this.synced = this.synced.then(() => flushed.then((ok) => ok && !this.broken));
    void this.synced.then((ok) => {
      for (const resolve of turn.waiting) resolve(ok);
    });
  }

  /** Closes the WAL handle (after the last commit, before the database closes). */
  close(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private begin(): Turn {
    this.db.exec('BEGIN IMMEDIATE');
    const waiting: Turn['waiting'] = [];
    const durable = new Promise<boolean>((resolve) => waiting.push(resolve));
    setImmediate(this.commitUnlessSyncing);
    return { waiting, durable };
  }

  private readonly commitUnlessSyncing = () => {
    if (this.syncing > 0) this.commitDeferred = true;
    else this.commit();
  };

  private abort(): void {
    const turn = this.turn;
    this.turn = undefined;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    for (const resolve of turn?.waiting ?? []) resolve(false);
  }

  private sync(): Promise<boolean> {
    if (!this.walFile) return Promise.resolve(true);
    // fsync is per file, not per descriptor: our read-only handle flushes what SQLite wrote through its own.
    const fd = (this.walFd ??= openSync(this.walFile, 'r'));
    this.syncing++;
    return new Promise((resolve) =>
      fsync(fd, (err) => {
        this.syncing--;
        if (this.commitDeferred && this.syncing === 0) {
          this.commitDeferred = false;
          // after this poll phase, so the messages read in it join the commit
          setImmediate(this.commitUnlessSyncing);
        }
        if (err) {
          this.broken = true;
          this.onError(err);
        }
        resolve(!err);
      }),
    );
  }
}
