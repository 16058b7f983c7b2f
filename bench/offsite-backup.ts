// Off-site backup figures for docs/operations.md: a peer database built from the bench data set (default the
// 1M-event file in bench/.cache, or BENCH_EVENTS_FILE), plus 10,000 prepaid balances, then against an S3 server
// in this process (s3rver, on local disk): the encrypted full backup (time, sizes, peak RSS: it must stream), a
// ledger snapshot, and `restore --latest` into an empty DATA_DIR (download, decrypt, apply, checks, swap).
//
//   node bench/offsite-backup.mjs [--events N]        (N: the first N lines of the file; default all)
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/config/load';
import { balanceAccount } from '../src/ledger/account-paths';
import { Ledger } from '../src/ledger/ledger';
import { shipFull, shipLedger } from '../src/ops/backup/offsite-ship';
import { restoreOffsite } from '../src/ops/backup/offsite-restore';
import { S3Target } from '../src/ops/backup/s3-target';
import { openDatabase } from '../src/storage/database';
import { EventStore } from '../src/storage/events';

const S3rver = createRequire(import.meta.url)('s3rver');
const arg = (name: string, dflt: number) => {
  const k = process.argv.indexOf(name);
  return k > 0 ? Number(process.argv[k + 1]) : dflt;
};
const cache = path.resolve(process.cwd(), 'bench/.cache');
const file =
  process.env.BENCH_EVENTS_FILE ??
  path.join(cache, readdirSync(cache).filter((f) => f.endsWith('.jsonl')).sort((a, b) => statSync(path.join(cache, b)).size - statSync(path.join(cache, a)).size)[0]);
const limit = arg('--events', Infinity);
const root = mkdtempSync(path.join(tmpdir(), 'offsite-bench-'));
const MiB = 1024 * 1024;
const secs = (ms: number) => Number((ms / 1000).toFixed(1));

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const peak = () => {
  const p = peakRss;
  peakRss = process.memoryUsage().rss;
  return Math.round(p / MiB);
};

async function main() {
  const dataDir = path.join(root, 'data');
  const database = path.join(dataDir, 'peer.sqlite');
  let t = Date.now();
  const db = openDatabase(database);
  const store = new EventStore(db, { publicUrl: '' });
  let n = 0;
  let batch: string[] = [];
  const flush = db.transaction((lines: string[]) => {
    for (const raw of lines) store.insert(JSON.parse(raw), raw);
  });
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (n >= limit) break;
    batch.push(line);
    n++;
    if (batch.length === 5000) {
      flush(batch);
      batch = [];
    }
  }
  flush(batch);
  const ledger = new Ledger(db);
  for (let i = 0; i < 10_000; i++) ledger.transfer({ debitAccount: 'assets/settlement', creditAccount: balanceAccount(randomBytes(32).toString('hex')), amount: 1000n + BigInt(i) });
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const built = { events: n, databaseMiB: Math.round(statSync(database).size / MiB), buildSeconds: secs(Date.now() - t) };
  console.error(JSON.stringify(built));

  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(root, 's3'), configureBuckets: [{ name: 'backups', configs: [] }] });
  const { port } = await s3.run();
  const env = {
    DATA_DIR: dataDir,
    BACKUP_URL: 's3://backups/bench',
    BACKUP_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  };
  const config = loadConfig(env);
  const target = new S3Target(config);
  peak();
  t = Date.now();
  const full = await shipFull(config, database, target);
  const upload = { seconds: secs(Date.now() - t), databaseMiB: Math.round(full.bytes / MiB), storedMiB: Math.round(full.storedBytes / MiB), peakRssMiB: peak() };
  t = Date.now();
  const l = await shipLedger(config, database, target);
  const ledgerSnapshot = { seconds: secs(Date.now() - t), storedKiB: Math.round(l.storedBytes / 1024), accounts: l.accounts };

  const restoreDir = path.join(root, 'restored');
  const restoreConfig = loadConfig({ ...env, DATA_DIR: restoreDir });
  peak();
  t = Date.now();
  const r = await restoreOffsite(restoreConfig, path.join(restoreDir, 'peer.sqlite'), 'latest', () => {});
  const restore = { seconds: secs(Date.now() - t), events: r.events, withLedgerSnapshot: r.ledger !== undefined, peakRssMiB: peak() };
  target.destroy();
  await s3.close();
  console.log(JSON.stringify({ file: path.basename(file), built, upload, ledgerSnapshot, restore, node: process.version }, null, 2));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    clearInterval(sampler);
    rmSync(root, { recursive: true, force: true });
  });
