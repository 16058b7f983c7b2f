import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { backupDatabase, BackupError, progressPrinter } from './backup-database';
import { privateDir } from '../../storage/private-files';
import { backupName, backupsDir } from './backup-files';
import { restoreDatabase } from './restore-database';

type Print = (line: string) => void;

/**
 * `backup [path]`: an online, consistent copy of `database` while the peer serves (another connection, one read
 * transaction), checked with integrity_check. `path` may be a file or an existing folder; by default the copy goes
 * to DATA_DIR/backups. The last line printed is the result as JSON.
 */
export async function backupCommand(database: string, dataDir: string, target: string | undefined, print: Print): Promise<void> {
  if (!existsSync(database)) throw new BackupError(`no database at ${database} (is DATA_DIR right?)`);
  let dest: string;
  if (target === undefined) {
    privateDir(backupsDir(dataDir));
    dest = path.join(backupsDir(dataDir), backupName());
  } else if (existsSync(target) && statSync(target).isDirectory()) {
    dest = path.join(target, backupName());
  } else {
    dest = target;
  }
  print(`backup: copying ${database} to ${dest}`);
  const r = await backupDatabase(database, dest, progressPrinter(print, 'backup'));
  print(`backup: integrity_check ok; schema version ${r.schemaVersion}, ${r.events} events, ${r.accounts} accounts`);
  print(`backup: wrote ${r.bytes} bytes in ${(r.durationMs / 1000).toFixed(1)} s (snapshot of ${new Date(r.snapshotAt).toISOString()})`);
  print(JSON.stringify(r));
}

/** `restore <path>`: see restoreDatabase. */
export async function restoreCommand(database: string, from: string | undefined, print: Print): Promise<void> {
  if (!from) throw new BackupError('restore needs the path of a backup: node dist/peer.js restore <path>');
  await restoreDatabase(from, database, print);
}
