import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import * as uWS from 'uWebSockets.js';
import type { Config } from '../../config/load';
import { respondJson } from '../../http/respond';
import { VERSION } from '../../version';
import { BackupCipherError } from './backup-cipher';
import { fetchBackup } from './offsite-restore';
import { FetchError } from './offsite-transfer';
import { restoreDatabase, RestoreError } from './restore-database';
import { S3Target } from './s3-target';

/** The bucket unreachable at boot: tried this many times, 5 s, 10 s, 20 s … apart, before the start fails. */
const ATTEMPTS = 5;
const FIRST_WAIT_MS = 5000;

/**
 * While a restore runs the port answers `/ready` 503 and `/health` 200 with `backup: "restoring"` (a long
 * download is not a dead process), and nothing else; the real server takes the port over when it is done.
 */
function holdPort(config: Config, startedAt: number): () => void {
  const app = uWS.App();
  const json = (res: uWS.HttpResponse, status: string, body: object) => respondJson(res, status, body);
  app.get('/ready', (res) => json(res, '503 Service Unavailable', { ready: false, restoring: true }));
  app.get('/health', (res) =>
    json(res, '200 OK', { status: 'ok', timestamp: new Date().toISOString(), uptime: Math.round((Date.now() - startedAt) / 1000), version: VERSION, backup: 'restoring' }),
  );
  app.any('/*', (res) => json(res, '503 Service Unavailable', { error: 'restoring from the off-site backup' }));
  let socket: uWS.us_listen_socket | false = false;
  app.listen(config.host, config.port, (s) => {
    socket = s;
  });
  return () => {
    if (socket) uWS.us_listen_socket_close(socket);
    app.close();
  };
}

const permanent = (err: unknown) => err instanceof BackupCipherError || err instanceof FetchError || err instanceof RestoreError;

/**
 * At boot, with BACKUP_URL set and no database in DATA_DIR: the newest off-site backup (plus the newer ledger
 * snapshot) is downloaded, decrypted, checked and restored before the peer opens its database. Never over an
 * existing database. An empty bucket starts an empty peer; a bucket that cannot be reached, or a backup that
 * cannot be decrypted, stops the start: an empty relay would hide every balance and soon back itself up.
 */
export async function restoreOnBoot(config: Config, database: string, log: Logger): Promise<void> {
  if (!config.backupUrl || existsSync(database)) return;
  const started = Date.now();
  const release = config.port > 0 ? holdPort(config, started) : () => {};
  const target = new S3Target(config);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const fetched = await fetchBackup(config, target, 'latest', (line) => log.debug(line));
        if (!fetched) {
          log.info({ backupUrl: config.backupUrl }, 'no off-site backup yet and no database: starting with an empty one');
          return;
        }
        try {
          const r = await restoreDatabase(fetched.file, database);
          log.info(
            {
              from: target.url(fetched.full.name),
              snapshotAt: fetched.full.snapshotAt,
              moneyAt: fetched.ledger?.snapshotAt ?? fetched.full.snapshotAt,
              events: r.events,
              accounts: fetched.ledger?.accounts ?? fetched.full.accounts,
              ms: Date.now() - started,
            },
            'restored the database from the off-site backup',
          );
          return;
        } finally {
          fetched.done();
        }
      } catch (err) {
        if (permanent(err) || attempt >= ATTEMPTS) {
          throw new Error(`restore from BACKUP_URL=${config.backupUrl} at boot failed: ${(err as Error).message}`);
        }
        const wait = FIRST_WAIT_MS * 2 ** (attempt - 1);
        log.warn({ err: (err as Error).message, attempt, retryInMs: wait }, 'restore from the off-site backup failed; retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    target.destroy();
    release();
  }
}
