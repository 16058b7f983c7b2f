import { backupsDir, listBackups } from './backup-files';

type Print = (line: string) => void;

const MiB = 1024 * 1024;

/** 90 → "1m", 7200 → "2h", 200000 → "2d": enough to tell backups apart at a glance. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

/**
 * `backup --list`: the finished backups in DATA_DIR/backups, newest first, one per line with its size, age and the
 * path to give `restore` (a distroless image has no `ls`), then the same as JSON.
 */
export function listBackupsCommand(dataDir: string, print: Print, now = Date.now()): void {
  const dir = backupsDir(dataDir);
  const backups = listBackups(dir).reverse();
  if (backups.length === 0) print(`backup: no backups in ${dir}`);
  for (const b of backups) {
    print(`${b.file}  ${(b.bytes / MiB).toFixed(1)} MiB  ${age(now - b.at)} ago  (${new Date(b.at).toISOString()})`);
  }
  print(JSON.stringify(backups.map((b) => ({ file: b.file, bytes: b.bytes, at: new Date(b.at).toISOString() }))));
}
