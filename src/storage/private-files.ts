import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/** DATA_DIR holds the STREAM server secret and every balance: only the peer's own user may read it. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A path that was looser than it should be, the mode it had, and why it could not be changed, if it could not. */
export interface Tightened {
  path: string;
  was: string;
  /** e.g. EPERM: the folder is a mount owned by another user; the peer still starts, and says so. */
  error?: string;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Sets `mode` on an existing `path` if group or others had any access; returns what it was, if it was looser. */
function tighten(path: string, mode: number): Tightened | undefined {
  let current: number;
  try {
    current = statSync(path).mode;
  } catch {
    return undefined;
  }
  if ((current & 0o077) === 0) return undefined;
  try {
    chmodSync(path, mode);
  } catch (err) {
    return { path, was: octal(current), error: (err as Error).message };
  }
  return { path, was: octal(current) };
}

/** Creates `dir` (and missing parents) 0700, or tightens it to 0700 when it exists and is looser. */
export function privateDir(dir: string): Tightened | undefined {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return tighten(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty and 0600 if absent (SQLite then gives its -wal and -shm the same mode), or tightens it to
 * 0600 when it exists and is looser. The umask can only remove bits, so a new file is never wider than 0600.
 */
export function privateFile(file: string, create = true): Tightened | undefined {
  if (create) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  return tighten(file, PRIVATE_FILE_MODE);
}
