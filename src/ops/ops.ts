import type { Logger } from 'pino';
import type { TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config/load';
import type { Connector } from '../connector/connector';
import type { LedgerViews } from '../ledger/views';
import type { Relay } from '../relay/relay';
import type { SettlementView } from '../settlement/settlement-view';
import type { DurableWriter } from '../storage/durable-writer';
import { backupsDir } from './backup/backup-files';
import { scheduleBackups, type BackupSchedule } from './backup/schedule-backups';
import type { OffsiteSchedule } from './backup/offsite-schedule';
import { Dashboard, dashboardRoutes } from './dashboard/dashboard';
import type { Economics } from './economics';
import { onWarnings } from './logger';
import { metricsRoute, PeerMetrics } from './metrics';
import { RecentErrors } from './recent-errors';

export interface OpsParts {
  config: Config;
  log: Logger;
  app: TemplatedApp;
  databaseFile: string;
  relay: Relay;
  connections(): number;
  writer: DurableWriter;
  checkpoints(): number;
  connector: Connector;
  startedAt: number;
  /** The ledger's read model (balances, revenue, peer positions). */
  money: LedgerViews;
  /** Snapshots of the economy kept in the database: the dashboard's long history. */
  economics: Economics;
  /** Off-site backups, when BACKUP_URL is set (built by the composition root, which loads the S3 client only then). */
  offsite?: OffsiteSchedule;
  /** Channels with peers, for /metrics and /dashboard. */
  settlement?: SettlementView;
  /** Operator actions on the dashboard (see dashboardRoutes), e.g. recording an out-of-band settlement. */
  dashboardActions?: Parameters<typeof dashboardRoutes>[5];
}

export interface Ops {
  readonly metrics: PeerMetrics;
  readonly backups: BackupSchedule;
  /** Off-site backups, when BACKUP_URL is set. */
  readonly offsite?: OffsiteSchedule;
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
  const backups = scheduleBackups({
    database: p.databaseFile,
    dataDir: config.dataDir,
    dir: backupsDir(config.dataDir),
    intervalSeconds: config.backupInterval,
    keep: config.backupKeep,
    log,
  });
  const { offsite } = p;
  if (config.backupUrl && config.backupEncryptionKey === 'none') log.warn({ backupUrl: config.backupUrl }, 'off-site backups are NOT encrypted (BACKUP_ENCRYPTION_KEY=none)');
  const sources = { ...p, backups: backups.status, offsite: offsite?.status };
  const metrics = new PeerMetrics(sources);
  p.relay.observer = metrics.observer;
  metricsRoute(app, metrics, config.metricsToken, (err) => log.error({ err }, 'metrics failed'));
  let dashboard: Dashboard | undefined;
  if (config.dashboardUser && config.dashboardPassword) {
    dashboard = new Dashboard({ ...sources, metrics, errors, backupsDir: backupsDir(config.dataDir), log });
    dashboardRoutes(app, dashboard, config.dashboardUser, config.dashboardPassword, config.trustedProxies, p.dashboardActions);
  }
  return {
    metrics,
    backups,
    offsite,
    dashboard,
    async stop() {
      dashboard?.stop();
      await backups.stop();
      await offsite?.stop();
      unhook();
    },
  };
}
