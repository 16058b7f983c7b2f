import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bundled, nativeFile } from '../native';
import type { ReadAnswers, ReadJob, ReadReply } from './read-jobs';

export interface ReadPoolLimits {
  /** READ_WORKERS: threads, each with its own read-only connection. */
  workers: number;
  /** READ_TIMEOUT_MS: longest one job may run on a worker before the worker is ended and replaced. */
  timeoutMs: number;
  /** READ_QUEUE_MAX: jobs waiting for a worker, all clients together. */
  maxQueued: number;
  /** READ_QUEUE_PER_CLIENT: jobs one client (an IP) may have waiting or running. */
  maxPerClient: number;
}

/** A job not admitted: the queue (the relay's, or the client's share of it) is full. */
export class ReadRefused extends Error {}
/** A job that ran past READ_TIMEOUT_MS; its worker was ended. */
export class ReadTimedOut extends Error {}

/** A job handed to run(): its answer, and a way to say it is no longer wanted. */
export interface ReadTicket<T> {
  readonly answer: Promise<T>;
  /** Takes the job out of the queue; a job already running finishes (within its time budget) and is ignored. */
  cancel(): void;
  /** A job run with `keepPlace`: frees its client's place (once; a refused job holds none). */
  leave(): void;
}

interface Queued {
  job: ReadJob;
  client: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  cancelled: boolean;
  /** It counts against its client's READ_QUEUE_PER_CLIENT until leave(). */
  placed: boolean;
  /** Its place outlives the job (a REQ's, until its answer is sent): only the ticket's leave() frees it. */
  keepPlace: boolean;
}

interface Slot {
  worker: Worker;
  /** Its connection is open: a job's time budget starts at the job, not at the thread's start. */
  ready: boolean;
  running?: Queued;
  timer?: NodeJS.Timeout;
}

/** Heap of one read worker: far above what one bounded job needs (a NEG-OPEN of 500,000 records: ~100 MB). */
const WORKER_HEAP_MB = 512;
/** Pause before replacing a worker that failed while starting. */
const RESPAWN_PAUSE_MS = 1000;

let fromSources: { code: string; nativeBinding: string } | undefined;

/**
 * The worker: dist/read-worker.js beside the bundle; from sources (tests), read-worker.ts bundled once per process
 * in memory with esbuild (a dev dependency), loading better-sqlite3's binding from node_modules.
 */
function workerSource(): { file: string; eval: boolean; nativeBinding?: string } {
  if (bundled) return { file: path.join(__dirname, 'read-worker.js'), eval: false, nativeBinding: nativeFile('better_sqlite3.node') };
  if (!fromSources) {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const built = esbuild.buildSync({
      entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'read-worker.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      logLevel: 'warning',
    });
    fromSources = { code: built.outputFiles[0].text, nativeBinding: require.resolve('better-sqlite3/build/Release/better_sqlite3.node') };
  }
  return { file: fromSources.code, eval: true, nativeBinding: fromSources.nativeBinding };
}

/**
 * Runs the relay's reads (REQ, COUNT, NEG-OPEN, NIP-50 search) on worker threads, each with its own read-only
 * SQLite connection, as strfry runs its readers on their own threads: the event loop only parses, verifies,
 * commits and fans out, so one heavy read no longer stalls every other client.
 *
 * Bounds: each job runs at most READ_TIMEOUT_MS; past it the worker is terminated (better-sqlite3 cannot
 * interrupt a statement) and a fresh one takes its place. Jobs wait in one queue per client, served round-robin
 * so a client with many heavy jobs does not delay the others; at most READ_QUEUE_MAX wait in all and
 * READ_QUEUE_PER_CLIENT per client (waiting, running, or a REQ whose answer is still being sent), beyond which
 * run() refuses (ReadRefused). Continuations of an admitted query (the next batch of a REQ's answer) are never
 * refused. One client runs on all workers but one
 * at most, so with READ_WORKERS ≥ 2 another client's query never waits behind it.
 */
export class ReadPool {
  private readonly slots: Slot[] = [];
  /** Waiting jobs per client, in round-robin order (a Map iterates in insertion order; a served client moves last). */
  private readonly queues = new Map<string, Queued[]>();
  private readonly perClient = new Map<string, number>();
  private queued = 0;
  private closing = false;
  /** Jobs stopped at their time budget (their worker replaced), since start: nostr_read_overruns_total. */
  timeouts = 0;

  constructor(
    private readonly file: string,
    private readonly limits: ReadPoolLimits,
    private readonly onError: (err: unknown) => void,
  ) {
    for (let i = 0; i < limits.workers; i++) this.slots.push(this.spawn());
  }

  /** Jobs waiting for a worker. */
  get waiting(): number {
    return this.queued;
  }

  /**
   * Queues a job for `client` (an IP, or a connection's own key). `continuation`: part of an admitted query (never
   * refused). `keepPlace`: the query goes on after this job (a REQ's answer is sent in batches), so it keeps its
   * place in the client's share until the ticket's leave().
   */
  run<K extends ReadJob['kind']>(
    job: ReadJob & { kind: K },
    client: string,
    { continuation = false, keepPlace = false } = {},
  ): ReadTicket<ReadAnswers[K]> {
    let entry!: Queued;
    const answer = new Promise<ReadAnswers[K]>((resolve, reject) => {
      entry = { job, client, resolve: resolve as (v: unknown) => void, reject, cancelled: false, placed: false, keepPlace };
    });
    const mine = this.perClient.get(client) ?? 0;
    if (this.closing) entry.reject(new ReadRefused('error: the relay is shutting down'));
    else if (!continuation && this.queued >= this.limits.maxQueued) {
      entry.reject(new ReadRefused('rate-limited: the relay has too many queries waiting; try again shortly'));
    } else if (!continuation && mine >= this.limits.maxPerClient) {
      entry.reject(new ReadRefused(`rate-limited: more than ${this.limits.maxPerClient} queries in progress for this client`));
    } else {
      this.perClient.set(client, mine + 1);
      entry.placed = true;
      let q = this.queues.get(client);
      if (!q) this.queues.set(client, (q = []));
      q.push(entry);
      this.queued++;
      this.dispatch();
    }
    return {
      answer,
      cancel: () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        const q = this.queues.get(client);
        const i = q?.indexOf(entry) ?? -1;
        if (i >= 0) {
          q!.splice(i, 1);
          if (q!.length === 0) this.queues.delete(client);
          this.queued--;
          if (!entry.keepPlace) this.leave(entry);
        }
      },
      leave: () => this.leave(entry),
    };
  }

  /** Ends the workers; queued jobs are refused. */
  async close(): Promise<void> {
    this.closing = true;
    for (const [client, q] of this.queues) {
      for (const e of q) {
        this.leave(e);
        e.reject(new ReadRefused('error: the relay is shutting down'));
      }
    }
    this.queues.clear();
    this.queued = 0;
    await Promise.all(this.slots.map((s) => (clearTimeout(s.timer), s.worker.terminate())));
  }

  private spawn(): Slot {
    const source = workerSource();
    const slot: Slot = {
      worker: new Worker(source.file, {
        eval: source.eval,
        workerData: { file: this.file, nativeBinding: source.nativeBinding },
        // a read that outgrows this fails alone (ERR_WORKER_OUT_OF_MEMORY): its worker is replaced, the relay lives on
        resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      }),
      ready: false,
    };
    slot.worker.unref();
    slot.worker.on('message', (reply: ReadReply | 'ready') => {
      if (reply === 'ready') {
        slot.ready = true;
        return this.dispatch();
      }
      const job = this.finish(slot);
      if (!job) return;
      if (reply.ok) job.resolve(reply.value);
      else job.reject(new Error(reply.error));
    });
    slot.worker.on('error', (err) => {
      // A worker that failed (e.g. out of memory) is replaced like one that timed out.
      this.onError(err);
      this.replace(slot)?.reject(new Error(`read worker failed: ${err.message}`));
    });
    slot.worker.on('exit', (code) => {
      if (this.closing || !this.slots.includes(slot)) return;
      this.onError(new Error(`read worker exited with code ${code}`));
      this.replace(slot)?.reject(new Error('read worker exited'));
    });
    return slot;
  }

  /** The slot's job is over: frees the slot, dispatches the next; returns the job unless nobody wants it anymore. */
  private finish(slot: Slot): Queued | undefined {
    const job = slot.running;
    clearTimeout(slot.timer);
    slot.running = slot.timer = undefined;
    if (job && !job.keepPlace) this.leave(job);
    this.dispatch();
    return job && !job.cancelled ? job : undefined;
  }

  /** Ends a slot's worker and puts a fresh one in its place; returns its job (if still wanted). */
  private replace(slot: Slot): Queued | undefined {
    const i = this.slots.indexOf(slot);
    if (i < 0) return undefined;
    slot.worker.removeAllListeners('message');
    slot.worker.removeAllListeners('error');
    slot.worker.removeAllListeners('exit');
    slot.worker.on('error', () => {}); // a late failure of the ended worker concerns nobody
    void slot.worker.terminate();
    if (this.closing) this.slots.splice(i, 1);
    else if (slot.ready) this.slots[i] = this.spawn();
    else {
      // It failed before it could read (e.g. the database cannot be opened): retry at a pace, not in a tight loop.
      this.slots.splice(i, 1);
      setTimeout(() => {
        if (!this.closing) this.slots.push(this.spawn());
      }, RESPAWN_PAUSE_MS).unref();
    }
    return this.finish(slot);
  }

  /** Frees the place a job holds in its client's share. */
  private leave(entry: Queued): void {
    if (!entry.placed) return;
    entry.placed = false;
    const client = entry.client;
    const n = (this.perClient.get(client) ?? 1) - 1;
    if (n > 0) this.perClient.set(client, n);
    else this.perClient.delete(client);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.running || !slot.ready) continue;
      const next = this.take();
      if (!next) return;
      slot.running = next;
      slot.timer = setTimeout(() => {
        this.timeouts++;
        this.replace(slot)?.reject(new ReadTimedOut(`error: the query ran longer than ${this.limits.timeoutMs} ms; narrow the filters`));
      }, this.limits.timeoutMs);
      slot.worker.postMessage(next.job);
    }
  }

  /**
   * The next job, round-robin over clients, skipping clients already running on all workers but one: with two or
   * more workers, one client's heavy queries always leave a worker for everyone else.
   */
  private take(): Queued | undefined {
    const most = Math.max(1, this.slots.length - 1);
    for (const [client, q] of this.queues) {
      if (this.slots.filter((s) => s.running?.client === client).length >= most) continue;
      const next = q.shift()!;
      this.queues.delete(client);
      if (q.length > 0) this.queues.set(client, q);
      this.queued--;
      return next;
    }
    return undefined;
  }
}
