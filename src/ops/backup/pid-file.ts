import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `DATA_DIR/peer.pid` says a peer serves from this folder, so that `restore` never swaps the database under a
 * running peer. It holds the pid and the process start time: a pid alone can be reused (pid 1 in every container).
 */
export const pidFile = (dataDir: string) => path.join(dataDir, 'peer.pid');

const processStart = () => Math.round(Date.now() - process.uptime() * 1000);

/** Writes the file; the returned function removes it (at stop) if it is still ours. */
export function claimPidFile(dataDir: string): () => void {
  const file = pidFile(dataDir);
  const content = `${process.pid} ${processStart()}\n`;
  writeFileSync(file, content);
  return () => {
    try {
      if (readFileSync(file, 'utf8') === content) rmSync(file, { force: true });
    } catch {
      /* already gone */
    }
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid of a peer serving from `dataDir`, or undefined when none is (a stale file is ignored). */
export function runningPeer(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ').map(Number);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) {
    // This very process: running only if the file was written by it (a peer started in-process), not by a
    // former process that had the same pid.
    return Math.abs(started - processStart()) < 2000 ? pid : undefined;
  }
  return alive(pid) ? pid : undefined;
}
