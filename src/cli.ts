import { withEnvFile } from './config/env-file';
import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './ops/logger';
import { composePeer } from './peer/compose-peer';
import { VERSION } from './version';

const USAGE = `usage: node dist/peer.js [command]

commands:
  (none)        serve the relay, BTP and SPSP on PORT (default 8080)
  healthcheck   exit 0 if /health on localhost answers ok
  migrate       apply database migrations and exit
  backup [path] online backup of the database while the peer serves, checked with
                integrity_check; path is a file or a folder (default DATA_DIR/backups)
  backup --list the backups in DATA_DIR/backups and in BACKUP_URL, newest first, with
                sizes and ages
  backup --offsite
                the whole database to BACKUP_URL now (encrypted, streamed), then the
                off-site retention; --ledger: the money tables only; --verify: the
                restore test of the newest off-site backup
  restore <path>
                replace the database with a backup after checking it; the peer must be
                stopped; the old database is kept as peer.sqlite.before-restore-<time>
  restore --latest | restore s3://bucket/prefix/<name>
                download, decrypt and check an off-site backup (--latest: the newest,
                with the newer money snapshot), then restore it as above
  settlement record --peer <id> (--received <n> | --paid <n>) --reference <text>
                record a settlement made outside the network (see docs/settlement.md)
  config        print the effective settings (secrets masked) and exit
  settlement deploy|status|close [--chain base|cronos]
                payment channels on an EVM chain: deploy the contract, list our
                channels, close one (docs/settlement.md)
  version       print the version (also --version, -v)
  --help        this text (also -h)

Settings come from the environment, then from ./.env (or ENV_FILE) when present; the
environment wins. Every setting: .env.example. Operations: docs/operations.md.`;

/** A command line this binary does not understand: exit 1 with the usage hint, not a config error. */
class UsageError extends Error {}

async function serve(): Promise<void> {
  const { env, file } = withEnvFile();
  const config = loadConfig(env);
  const log = createLogger(config.logLevel, undefined, config.logFormat);
  if (file) log.info({ file }, 'settings read from file');
  const peer = await composePeer(config, log);
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    peer.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function healthcheck(): Promise<void> {
  const config = loadConfig(withEnvFile().env);
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  const res = await fetch(`http://${host}:${config.port}/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status?: string };
  if (!res.ok || body.status !== 'ok') throw new Error(`health is ${body.status ?? res.status}`);
}

async function main(argv: string[]): Promise<void> {
  // `--help` anywhere (e.g. `backup --help`) prints the usage rather than being taken for a path.
  const command = argv.some((a) => a === '--help' || a === '-h') ? '--help' : (argv[0] ?? 'serve');
  switch (command) {
    case 'serve':
      return serve();
    case 'healthcheck':
      return healthcheck();
    case 'migrate': {
      const { openDatabase } = await import('./storage/database');
      const { databaseFile } = await import('./peer/database-file');
      const { lockDataDir } = await import('./peer/data-dir-lock');
      const config = loadConfig(withEnvFile().env);
      const unlock = lockDataDir(config.dataDir, 'migrate');
      try {
        const db = openDatabase(databaseFile(config.dataDir));
        console.log(JSON.stringify({ migrated: true, version: db.pragma('user_version', { simple: true }) }));
        db.close();
      } finally {
        unlock();
      }
      return;
    }
    case 'backup':
    case 'restore': {
      const { backupCommand, restoreCommand } = await import('./ops/backup/commands');
      const { databaseFile } = await import('./peer/database-file');
      const config = loadConfig(withEnvFile().env);
      const database = databaseFile(config.dataDir);
      const print = (line: string) => console.log(line);
      if (command === 'backup' && argv[1] === '--list') {
        const { age, listBackupsCommand } = await import('./ops/backup/list-backups');
        listBackupsCommand(config.dataDir, print);
        if (!config.backupUrl) return;
        const { listOffsite } = await import('./ops/backup/offsite-commands');
        return print(JSON.stringify(await listOffsite(config, print, age)));
      }
      const offsite = command === 'backup' ? ['--offsite', '--ledger', '--verify'].includes(argv[1]) : argv[1] === '--latest' || argv[1]?.startsWith('s3://');
      if (offsite) {
        const { offsiteBackupCommand, offsiteRestoreCommand } = await import('./ops/backup/offsite-commands');
        return command === 'backup' ? offsiteBackupCommand(config, database, argv[1], print) : offsiteRestoreCommand(config, database, argv[1], print);
      }
      if (command === 'backup') return backupCommand(database, config.dataDir, argv[1], print);
      return restoreCommand(database, argv[1], print);
    }
    case 'settlement': {
      if (argv[1] === 'record') {
        const { recordCommand, RecordUsageError } = await import('./settlement/record-command');
        const { databaseFile } = await import('./peer/database-file');
        const config = loadConfig(withEnvFile().env);
        try {
          return recordCommand(config, databaseFile(config.dataDir), argv.slice(2), (line) => console.log(line));
        } catch (err) {
          throw err instanceof RecordUsageError ? new UsageError(err.message) : err;
        }
      }
      const { settlementCommand, SettlementUsageError } = await import('./settlement/chain-commands');
      const { databaseFile } = await import('./peer/database-file');
      const { env } = withEnvFile();
      const database = argv[1] === 'status' ? databaseFile(loadConfig(env).dataDir) : undefined;
      return settlementCommand(argv.slice(1), env, (line) => console.log(line), undefined, database).catch((err: unknown) => {
        throw err instanceof SettlementUsageError ? new UsageError(err.message) : err;
      });
    }
    case 'config': {
      const { showConfig } = await import('./config/show-config');
      const { env, file } = withEnvFile();
      for (const line of showConfig(env, file)) console.log(line);
      return;
    }
    case 'version':
    case '--version':
    case '-v':
      console.log(VERSION);
      return;
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"; see --help`);
  }
}

/** Runs the binary's command line (argv without node and the script); a failure exits 1 with one line. */
export function runCli(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    const prefix = err instanceof ConfigError ? 'config' : err instanceof UsageError ? 'usage' : 'error';
    console.error(`${prefix}: ${(err as Error).message}`);
    process.exit(1);
  });
}
