import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Backups in DATA_DIR/backups are named by their UTC time, so that names sort as times do. */
const NAME = /^peer-\d{8}T\d{6}\.\d{3}Z\.sqlite$/;
const PARTIAL = /^peer-\d{8}T\d{6}\.\d{3}Z\.sqlite\.partial$/;

/** A partial copy untouched this long belongs to a backup that died (a running one writes it all the time). */
const STALE_PARTIAL_MS = 60 * 60 * 1000;

export const backupsDir = (dataDir: string) => path.join(dataDir, 'backups');

/** `peer-20250131T235959.123Z.sqlite` */
export function backupName(at = new Date()): string {
  return `peer-${at.toISOString().replace(/[-:]/g, '')}.sqlite`;
}

export interface BackupFile {
  name: string;
  file: string;
  bytes: number;
  /** Unix ms, from the name. */
  at: number;
}

/** The finished backups in `dir`, oldest first. Other files in the folder are never touched. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => NAME.test(n))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const s = name.slice(5, 24);
      const iso = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 19)}Z`;
      let bytes = 0;
      try {
        bytes = statSync(file).size;
      } catch {
        /* deleted meanwhile */
      }
      return { name, file, bytes, at: Date.parse(iso) };
    });
}

/** Deletes the oldest backups beyond the newest `keep`, and partial copies left by a backup that died. */
export function pruneBackups(dir: string, keep: number, now = Date.now()): string[] {
  const all = listBackups(dir);
  const deleted = all.slice(0, Math.max(0, all.length - keep)).map((b) => b.file);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    /* no folder yet */
  }
  for (const name of names) {
    if (!PARTIAL.test(name)) continue;
    const file = path.join(dir, name);
    try {
      if (now - statSync(file).mtimeMs > STALE_PARTIAL_MS) deleted.push(file);
    } catch {
      /* finished meanwhile */
    }
  }
  for (const file of deleted) rmSync(file, { force: true });
  return deleted;
}
