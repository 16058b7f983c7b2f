import type { Committer, Written } from './committer';

/** The answer to a write whose transaction did not reach the disk (rolled back, or its fsync failed). */
export const LOST = Object.freeze({ status: 'lost' as const });
export type Lost = typeof LOST;

/**
 * The relay's writes through the group committer: each runs at once in the open transaction (so all it writes
 * lands together or not at all), and its answer waits for the commit, so `OK true` always means on disk. What a
 * write does is its caller's (payments/paid-write.ts stores an event and charges for it); this knows no money.
 */
export class DurableWriter {
  /** Writes done but not yet durable. */
  pending = 0;
  written = 0;

  constructor(
    private readonly committer: Committer,
    private readonly onError: (err: unknown) => void,
  ) {}

  get batches(): number {
    return this.committer.commits;
  }

  /** Runs `write` now in this turn's transaction; `done` gets its result once that is on disk, else LOST. */
  run<T>(write: () => T, done: (result: T | Lost) => void): void {
    this.afterCommit(this.write(write), done);
  }

  /** What `fn` would write and answer, without keeping its writes (inside a `run`). */
  dryRun<T>(fn: () => T): T {
    return this.committer.dryRun(fn);
  }

  /**
   * Runs `fn` after the answers (and so the fan-out) of every write made so far, with whether the last of them
   * reached the disk.
   */
  afterPending(fn: (durable: boolean) => void): void {
    void this.committer.settled().then(fn);
  }

  /** Commits now (shutdown); answers follow once the commit is on disk. */
  flush(): void {
    this.committer.commit();
  }

  private write<T>(fn: () => T): Written<T | Lost> {
    try {
      return this.committer.run(fn);
    } catch (err) {
      this.onError(err);
      return { value: LOST, durable: Promise.resolve(false) };
    }
  }

  private afterCommit<T>(written: Written<T | Lost>, done: (result: T | Lost) => void): void {
    this.pending++;
    void written.durable.then((committed) => {
      this.pending--;
      if (committed) this.written++;
      done(committed ? written.value : LOST);
    });
  }
}
