import type { Logger } from 'pino';
import type { TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config/load';
import type { Connector } from '../connector/connector';
import type { Relay } from '../relay/relay';
import type { Db } from '../storage/database';
import type { SettlementView } from '../settlement/settlement-view';
import type { WriteQueue } from '../storage/write-queue';
import { backupsDir } from './backup/backup-files';
import { scheduleBackups, type BackupSchedule } from './backup/schedule-backups';
import { Dashboard, dashboardRoutes } from './dashboard/dashboard';
import { onWarnings } from './logger';
import { metricsRoute, PeerMetrics } from './metrics';
import { MoneyView } from './money';
import { RecentErrors } from './recent-errors';

export interface OpsParts {
  config: Config;
  log: Logger;
  app: TemplatedApp;
  db: Db;
  databaseFile: string;
  relay: Relay;
  connections(): number;
  writer: WriteQueue;
  checkpoints(): number;
  connector: Connector;
  startedAt: number;
  /** Channels with peers, for /metrics and /dashboard. */
  settlement?: SettlementView;
  /** Operator actions on the dashboard (see dashboardRoutes), e.g. recording an out-of-band settlement. */
  dashboardActions?: Parameters<typeof dashboardRoutes>[5];
}

export interface Ops {
  readonly metrics: PeerMetrics;
  readonly backups: BackupSchedule;
  readonly dashboard?: Dashboard;
  stop(): Promise<void>;
}

/**
 * The operator's surfaces, wired in one call from the composition root: `/metrics`, `/dashboard` (when its
 * credentials are set), scheduled backups, and the recent-errors buffer. Read-only towards the
 * rest of the peer, apart from the relay's metrics observer.
 */
export function startOps(p: OpsParts): Ops {
  const { config, log, app } = p;
  const errors = new RecentErrors();
  const unhook = onWarnings(log, errors.record);
  const money = new MoneyView(p.db);
  const backups = scheduleBackups({
    database: p.databaseFile,
    dataDir: config.dataDir,
    dir: backupsDir(config.dataDir),
    intervalSeconds: config.backupInterval,
    keep: config.backupKeep,
    log,
  });
  const sources = { ...p, money, backups: backups.status };
  const metrics = new PeerMetrics(sources);
  p.relay.observer = metrics.observer;
  metricsRoute(app, metrics, config.metricsToken, (err) => log.error({ err }, 'metrics failed'));
  let dashboard: Dashboard | undefined;
  if (config.dashboardUser && config.dashboardPassword) {
    dashboard = new Dashboard({ ...sources, db: p.db, metrics, errors, backupsDir: backupsDir(config.dataDir), log });
    dashboardRoutes(app, dashboard, config.dashboardUser, config.dashboardPassword, config.trustedProxies, p.dashboardActions);
  }
  return {
    metrics,
    backups,
    dashboard,
    async stop() {
      dashboard?.stop();
      await backups.stop();
      unhook();
    },
  };
}
