import { ConfigError, loadConfig } from './config/load';
import { createLogger } from './ops/logger';
import { launch } from './peer/launch';
import { bundled } from './native';
import { VERSION } from './version';

export { startPeer, type StartedPeer } from './start';
export type { Config, ConfigInput } from './config/load';
export { reconcileWithRelay, RelayLink, syncRelays, type ReconcileResult, type SyncResult } from './sync';
export { ItemSetBuilder, itemSetOf } from './nostr/negentropy';

const USAGE = `usage: node dist/peer.js [command]

commands:
  (none)        serve the relay, BTP and SPSP on PORT (default 8080)
  healthcheck   exit 0 if /health on localhost answers ok
  migrate       apply database migrations and exit
  backup [path] online backup of the database while the peer serves, checked with
                integrity_check; path is a file or a folder (default DATA_DIR/backups)
  restore <path>
                replace the database with a backup after checking it; the peer must be
                stopped; the old database is kept as peer.sqlite.before-restore-<time>
  version       print the version
  --help        this text

Settings come from the environment; see .env.example. Operations: docs/operations.md.`;

async function serve(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  const peer = await launch(config, log);
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
  const config = loadConfig(process.env);
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
      const { databaseFile } = await import('./peer/launch');
      const { lockDataDir } = await import('./peer/data-dir-lock');
      const config = loadConfig(process.env);
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
      const { databaseFile } = await import('./peer/launch');
      const config = loadConfig(process.env);
      const database = databaseFile(config.dataDir);
      const print = (line: string) => console.log(line);
      if (command === 'backup') return backupCommand(database, config.dataDir, argv[1], print);
      // Held for the whole swap: no peer may start on the folder meanwhile, and none may be serving from it.
      const { lockDataDir } = await import('./peer/data-dir-lock');
      const unlock = lockDataDir(config.dataDir, 'restore');
      try {
        return await restoreCommand(database, argv[1], print);
      } finally {
        unlock();
      }
    }
    case 'version':
      console.log(VERSION);
      return;
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return;
    default:
      throw new ConfigError(`unknown command "${command}"; see --help`);
  }
}

if (bundled && require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof ConfigError ? `config: ${err.message}` : `error: ${(err as Error).message}`);
    process.exit(1);
  });
}
