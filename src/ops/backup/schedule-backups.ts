import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { bundleFile } from '../../native';
import { backupDatabase, type BackupResult } from './backup-database';
import { privateDir } from '../../storage/private-files';
import { backupName, pruneBackups } from './backup-files';

export interface BackupStatus {
  running: boolean;
  successes: number;
  failures: number;
  last?: BackupResult & { at: number };
  lastFailure?: { at: number; message: string };
  /** Unix ms of the next scheduled backup; undefined when scheduling is off. */
  nextAt?: number;
}

export interface BackupSchedule {
  readonly status: BackupStatus;
  /** Takes a backup now (unless one is running) and applies the retention; never throws. */
  runNow(): Promise<BackupResult | undefined>;
  /** Cancels the timer and any backup in progress. */
  stop(): Promise<void>;
}

/** setTimeout fires at once beyond 2^31 − 1 ms (~24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `node peer.js backup <dest>` as a child process: the copy and its integrity_check read the whole file,
 * which must not stall this process's event loop. Its last stdout line is the result as JSON.
 */
function backupInChild(bundle: string, dataDir: string, dest: string, signal: AbortSignal): Promise<BackupResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, 'backup', dest], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', (e) => reject(e));
    child.once('close', (code) => {
      if (code === 0) {
        try {
          return resolve(JSON.parse(out.trim().split('\n').pop()!) as BackupResult);
        } catch {
          return reject(new Error(`backup printed no result: ${out.slice(-200)}`));
        }
      }
      rmSync(`${dest}.partial`, { force: true });
      reject(new Error(err.trim().split('\n').pop() || `backup exited with ${code}`));
    });
  });
}

/**
 * Scheduled backups: every `intervalSeconds` (0: never; `runNow` still works) a consistent copy of the live
 * database goes to `dir/peer-<UTC time>.sqlite`, then only the newest `keep` backups are kept. The first one is
 * taken one interval after start, not at start.
 */
export function scheduleBackups(options: {
  database: string;
  dataDir: string;
  dir: string;
  intervalSeconds: number;
  keep: number;
  log: Logger;
}): BackupSchedule {
  const { database, dataDir, dir, intervalSeconds, keep, log } = options;
  const status: BackupStatus = { running: false, successes: 0, failures: 0 };
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<BackupResult | undefined> | undefined;
  const bundle = bundleFile();

  const run = async (): Promise<BackupResult | undefined> => {
    let at = Date.now();
    while (existsSync(path.join(dir, backupName(new Date(at))))) at++;
    const dest = path.join(dir, backupName(new Date(at)));
    status.running = true;
    const started = Date.now();
    try {
      privateDir(dir);
      const result = bundle
        ? await backupInChild(bundle, dataDir, dest, abort.signal)
        : await backupDatabase(database, dest, undefined, abort.signal);
      status.successes++;
      status.last = { ...result, at: Date.now() };
      const pruned = pruneBackups(dir, keep);
      log.info({ file: result.file, bytes: result.bytes, events: result.events, ms: Date.now() - started, pruned: pruned.length }, 'backup written');
      return result;
    } catch (err) {
      if (abort.signal.aborted) return undefined;
      status.failures++;
      status.lastFailure = { at: Date.now(), message: (err as Error).message };
      log.error({ err, file: dest }, 'backup failed');
      return undefined;
    } finally {
      status.running = false;
    }
  };

  const runNow = () =>
    abort.signal.aborted ? Promise.resolve(undefined) : (current ??= run().finally(() => (current = undefined)));

  const arm = (dueAt: number) => {
    status.nextAt = dueAt;
    const wait = Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (Date.now() < dueAt) return arm(dueAt);
      void runNow().finally(() => {
        if (!abort.signal.aborted) arm(Date.now() + intervalSeconds * 1000);
      });
    }, wait);
    timer.unref();
  };
  if (intervalSeconds > 0) arm(Date.now() + intervalSeconds * 1000);

  return {
    status,
    runNow,
    async stop() {
      abort.abort();
      clearTimeout(timer);
      status.nextAt = undefined;
      await current;
    },
  };
}
