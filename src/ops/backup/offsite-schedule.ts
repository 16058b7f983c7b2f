import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { Config } from '../../config/load';
import { bundleFile } from '../../native';
import type { Db } from '../../storage/database';
import { lastJournalId } from './ledger-snapshot';
import { listPublished, type Manifest } from './offsite-manifest';
import { pruneOffsite } from './offsite-retention';
import { cleanStaleWork, shipFull, shipLedger } from './offsite-ship';
import { verifyOffsite, type VerifyResult } from './offsite-verify';
import { S3Target } from './s3-target';
import type { JobStatus, OffsiteJob, OffsiteStatus } from './offsite-status';

export interface OffsiteSchedule {
  readonly status: OffsiteStatus;
  runNow(job: OffsiteJob): Promise<void>;
  stop(): Promise<void>;
}

/** The first retry waits this long, then twice as long each time, up to the job's interval. */
const FIRST_RETRY_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The last ledger snapshot at stop may take this long of the 10 s a stop has (SIGTERM), then it is cancelled. */
const FINAL_LEDGER_MS = 4000;

/** The raw settings a child `backup --offsite|--ledger|--verify` needs (it reads no .env of ours). */
function childEnv(config: Config): Record<string, string> {
  const key = config.backupEncryptionKey;
  return {
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    DATA_DIR: config.dataDir,
    BACKUP_URL: config.backupUrl,
    BACKUP_S3_ENDPOINT: config.backupS3Endpoint,
    AWS_ACCESS_KEY_ID: config.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: config.awsSecretAccessKey,
    AWS_REGION: config.awsRegion,
    BACKUP_ENCRYPTION_KEY: key === undefined ? '' : key === 'none' ? 'none' : key.toString('hex'),
    BACKUP_KEEP_DAILY: String(config.backupKeepDaily),
    BACKUP_KEEP_MONTHLY: String(config.backupKeepMonthly),
  };
}

/** Runs `node peer.js backup --<job>` (reading, encrypting and checking whole files must not stall the relay). */
function inChild<T>(bundle: string, config: Config, flag: string, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, 'backup', flag], { env: childEnv(config), stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-64 * 1024)));
    child.stderr.on('data', (d) => (err = (err + d).slice(-64 * 1024)));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(err.trim().split('\n').pop() || `backup ${flag} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch {
        reject(new Error(`backup ${flag} printed no result`));
      }
    });
  });
}

/**
 * Off-site backups on their three clocks, one job at a time: the whole database every BACKUP_OFFSITE_INTERVAL
 * (then the retention), the money tables every BACKUP_LEDGER_INTERVAL when a journal row was added, and the
 * restore test every BACKUP_VERIFY_INTERVAL. A failed job is retried after 30 s, 1 min, 2 min … (at most its
 * interval); nothing here ever throws into the relay. The bundled peer runs each job in a child process.
 */
export function scheduleOffsite(config: Config, database: string, db: Db, log: Logger, startedAt = Date.now()): OffsiteSchedule {
  const status: OffsiteStatus = {
    full: { successes: 0, failures: 0, consecutiveFailures: 0 },
    ledger: { successes: 0, failures: 0, consecutiveFailures: 0 },
    verify: { successes: 0, failures: 0, consecutiveFailures: 0 },
  };
  const intervals: Record<OffsiteJob, number> = {
    full: config.backupOffsiteInterval * 1000,
    ledger: config.backupLedgerInterval * 1000,
    verify: config.backupVerifyInterval * 1000,
  };
  const abort = new AbortController();
  const timers = new Map<OffsiteJob, NodeJS.Timeout>();
  const target = new S3Target(config);
  const bundle = bundleFile();
  const journal = db.prepare('SELECT coalesce(max(id), 0) FROM journal').pluck();
  let shippedJournal: number | undefined;
  let queue: Promise<void> = Promise.resolve();
  const queued = new Set<OffsiteJob>();
  cleanStaleWork(config.dataDir);

  const seen = (m: Manifest) => {
    status.lastGoodAt = Math.max(status.lastGoodAt ?? 0, Date.parse(m.snapshotAt));
    shippedJournal = Math.max(shippedJournal ?? 0, m.journalId);
  };

  const work = async (job: OffsiteJob): Promise<string | undefined> => {
    const { signal } = abort;
    if (job === 'full') {
      const m = bundle ? await inChild<Manifest>(bundle, config, '--offsite', signal) : await shipFull(config, database, target, signal);
      if (!bundle) await pruneOffsite(target, config.backupKeepDaily, config.backupKeepMonthly);
      seen(m);
      status.full.last = { at: Date.now(), name: m.name, storedBytes: m.storedBytes, ms: 0 };
      return m.name;
    }
    if (job === 'ledger') {
      if (shippedJournal !== undefined && (journal.get() as number) === shippedJournal) return undefined;
      const m = bundle ? await inChild<Manifest>(bundle, config, '--ledger', signal) : await shipLedger(config, database, target, signal);
      seen(m);
      status.ledger.last = { at: Date.now(), name: m.name, storedBytes: m.storedBytes, ms: 0 };
      return m.name;
    }
    const r = bundle ? await inChild<VerifyResult>(bundle, config, '--verify', signal) : await verifyOffsite(config, target, signal);
    status.verify.result = r;
    if (!r.ok) throw new Error(`restore test of ${r.name ?? 'the newest backup'} failed: ${r.message}`);
    return r.name;
  };

  const run = async (job: OffsiteJob) => {
    const s = status[job];
    const started = Date.now();
    status.running = job;
    try {
      const name = await work(job);
      if (name === undefined) return;
      s.successes++;
      s.consecutiveFailures = 0;
      if (s.last) s.last.ms = Date.now() - started;
      const level = job === 'ledger' ? 'debug' : 'info';
      log[level]({ job, name, ms: Date.now() - started, ...(job === 'verify' ? { events: status.verify.result?.events } : {}) }, `off-site ${job === 'verify' ? 'restore test passed' : 'backup shipped'}`);
    } catch (err) {
      if (abort.signal.aborted) return;
      s.failures++;
      s.consecutiveFailures++;
      s.lastFailure = { at: Date.now(), message: (err as Error).message };
      log.error({ job, err: (err as Error).message, attempt: s.consecutiveFailures }, `off-site ${job} failed; retrying`);
    } finally {
      status.running = undefined;
    }
  };

  const enqueue = (job: OffsiteJob): Promise<void> => {
    if (abort.signal.aborted || queued.has(job)) return queue;
    queued.add(job);
    queue = queue.then(() => {
      queued.delete(job);
      return abort.signal.aborted ? undefined : run(job);
    });
    return queue;
  };

  const arm = (job: OffsiteJob, dueAt: number) => {
    status[job].nextAt = dueAt;
    clearTimeout(timers.get(job));
    const t = setTimeout(() => {
      if (Date.now() < dueAt) return arm(job, dueAt);
      void enqueue(job).then(() => {
        if (abort.signal.aborted) return;
        const n = status[job].consecutiveFailures;
        arm(job, Date.now() + (n > 0 ? Math.min(intervals[job], FIRST_RETRY_MS * 2 ** (n - 1)) : intervals[job]));
      });
    }, Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS));
    t.unref();
    timers.set(job, t);
  };

  // What the bucket already holds sets the clocks: a restart does not upload a full backup that is still fresh.
  const begin = async () => {
    let newestFull: number | undefined;
    try {
      for (const m of await listPublished(target, 1)) {
        seen(m);
        if (m.kind === 'full') newestFull = Date.parse(m.snapshotAt);
      }
    } catch (err) {
      status.full.consecutiveFailures++;
      status.full.failures++;
      status.full.lastFailure = { at: Date.now(), message: (err as Error).message };
      log.error({ err: (err as Error).message }, 'off-site backups: cannot list BACKUP_URL; retrying');
    }
    if (abort.signal.aborted) return;
    const now = Date.now();
    if (intervals.full > 0) arm('full', status.full.consecutiveFailures > 0 ? now + FIRST_RETRY_MS : Math.max(now, (newestFull ?? 0) + intervals.full));
    if (intervals.ledger > 0) arm('ledger', now + intervals.ledger);
    if (intervals.verify > 0) arm('verify', now + intervals.verify);
  };
  const beginning = begin();

  return {
    status,
    runNow: (job) => enqueue(job),
    async stop() {
      // A closing lease takes the volume with it: money moved since the last snapshot goes out first, within a bound.
      if (intervals.ledger > 0 && !abort.signal.aborted) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([enqueue('ledger'), new Promise((r) => (timer = setTimeout(r, FINAL_LEDGER_MS)))]);
        clearTimeout(timer);
      }
      abort.abort();
      for (const t of timers.values()) clearTimeout(t);
      await beginning;
      await queue;
      target.destroy();
    },
  };
}
