import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundled, nativeFile } from '../native';

/** Pause after a checkpoint before the next, so one run copies many commits' pages (a page written twice, once). */
const PAUSE_MS = 50;

function workerFile(): string {
  return bundled
    ? path.join(__dirname, 'checkpoint-worker.js')
    : path.join(path.dirname(fileURLToPath(import.meta.url)), 'checkpoint-worker.cjs');
}

/**
 * Copies the WAL back into the database file on a worker thread with its own connection. SQLite would otherwise
 * do it all inside a commit on the event loop: measured at about a fifth of the relay's ingest time, fsync of the
 * database file included, and the cause of its longest stalls. Runs follow commits, back to back under load.
 *
 * SQLite restarts the WAL from its beginning only at a write that finds it wholly copied back, which a worker
 * racing a steady stream of commits never quite sees; so the writer's own automatic checkpoint stays on
 * (database.ts: at 40 MB of WAL). By then the worker has copied all but the last few commits, so the writer
 * copies only those, and restarts the WAL.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private running = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private closed?: Promise<void>;
  private exited = false;
  runs = 0;
  /** Pages in the WAL at the last run, and how many of them were in the database file after it. */
  walPages = 0;
  checkpointedPages = 0;

  constructor(
    file: string,
    private readonly onError: (err: unknown) => void,
  ) {
    this.worker = new Worker(workerFile(), { workerData: { file, nativeBinding: nativeFile('better_sqlite3.node') } });
    this.worker.unref();
    this.worker.on('exit', () => (this.exited = true));
    this.worker.on('message', (r: { ok: boolean; walPages?: number; checkpointed?: number; error?: string }) => {
      this.running = false;
      this.runs++;
      if (r.ok) {
        this.walPages = r.walPages!;
        this.checkpointedPages = r.checkpointed!;
      } else this.onError(new Error(`WAL checkpoint failed: ${r.error}`));
      if (this.dirty) this.schedule();
    });
    // Without the worker, the writer's own checkpoints (database.ts) do all the copying again.
    this.worker.on('error', (err) => this.onError(err));
  }

  /** A commit added pages to the WAL. */
  committed(): void {
    this.dirty = true;
    if (!this.running && !this.timer && !this.closed) this.schedule();
  }

  /** Ends the worker (after the last commit; the caller's final checkpoint then truncates the WAL). */
  close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return (this.closed ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.worker.once('exit', () => resolve());
      // held so the process waits for it (unref'd, an otherwise idle loop would end here)
      this.worker.ref();
      this.worker.postMessage('close');
    }));
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.dirty = false;
      this.running = true;
      this.worker.postMessage('checkpoint');
    }, PAUSE_MS);
    this.timer.unref();
  }
}
