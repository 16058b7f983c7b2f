import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Says who listens on TCP `port`, for the one line a peer prints when it cannot listen: the pid when Linux's /proc
 * shows it (a process of the same user), else only that the port is taken. Only called on that error path.
 */
export function portHolder(port: number): string {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] is address:port in hex, f[3] the state (0A: LISTEN), f[9] the socket's inode
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1].split(':')[1], 16) === port) inodes.add(`socket:[${f[9]}]`);
    }
  }
  const pid = inodes.size > 0 ? pidOwning(inodes) : undefined;
  return `the port is in use${pid ? ` by pid ${pid}` : ''}`;
}

function pidOwning(sockets: Set<string>): number | undefined {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (sockets.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid);
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return undefined;
}
