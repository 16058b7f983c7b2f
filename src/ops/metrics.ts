import { statSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config/load';
import type { Connector } from '../connector/connector';
import { respond, respondJson } from '../http/respond';
import type { Relay, RelayObserver } from '../relay/relay';
import type { Refusal, RefusalPrefix } from '../relay/refusal';
import type { DurableWriter } from '../storage/durable-writer';
import { VERSION } from '../version';
import type { BackupStatus } from './backup/schedule-backups';
import type { OffsiteStatus } from './backup/offsite-status';
import { MAX_PENDING_CHECKS } from '../nostr/verify';
import { bearerChecker } from './bearer-token';
import { LatencyHistogram } from './latency-histogram';
import type { LedgerViews } from '../ledger/views';
import { settlementGauges, type SettlementView } from '../settlement/settlement-view';

export interface MetricSources {
  config: Config;
  relay: Relay;
  /** Open NIP-01 WebSocket connections. */
  connections(): number;
  writer: DurableWriter;
  /** WAL copies done by the checkpointer thread. */
  checkpoints(): number;
  connector: Connector;
  money: LedgerViews;
  databaseFile: string;
  backups: BackupStatus;
  /** Off-site backups, when BACKUP_URL is set. */
  offsite?: OffsiteStatus;
  /** Channels with peers (settlement_* gauges), when the peer settles on a chain. */
  settlement?: SettlementView;
}

/**
 * From EVENT to `OK true`: the turn's signature checks on the thread pool, then a group commit that may wait for
 * the previous commit's fsync, then its own.
 */
const INGEST_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** One REQ's SQL: an index range is sub-millisecond; a scan of a big table is what the upper buckets catch. */
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Refusal reasons are NIP-01 prefixes; anything else is "other", so that a label never carries free text. */
const REASONS: ReadonlySet<string> = new Set<RefusalPrefix>(['invalid', 'restricted', 'blocked', 'rate-limited', 'pow', 'error', 'auth-required', 'mute', 'duplicate']);
const ILP_CODE = /^[FTR]\d\d$/;

/** The label of a refusal: its prefix, or payment-required for a restricted one for want of balance. */
export function reasonOf(refusal: Refusal): string {
  if (refusal.unpaid) return 'payment-required';
  return REASONS.has(refusal.prefix) ? refusal.prefix : 'other';
}

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event-loop lag, GC, handles) under their usual prom-client names. They belong to the
 * process, not to a peer (tests run several peers in one process), so one registry is shared and made once.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 20 });
  }
  return processRegistry;
}

/**
 * The peer's metrics in their own Registry. The relay's hot path only bumps plain numbers (its counters) and two
 * LatencyHistograms; everything else is read at scrape time in collect().
 */
export class PeerMetrics {
  readonly registry = new Registry();
  readonly ingest = new LatencyHistogram(
    'nostr_event_ingest_duration_seconds',
    'Time from an EVENT message to its OK true, for stored events (checks and group commit included).',
    INGEST_BUCKETS,
  );
  readonly query = new LatencyHistogram('nostr_req_query_duration_seconds', 'Time the stored-event query of one REQ took.', QUERY_BUCKETS);
  private readonly rejected = new Map<string, number>();
  private duplicates = 0;

  readonly observer: RelayObserver = {
    eventStored: (s) => this.ingest.observe(s),
    reqQueried: (s) => this.query.observe(s),
    eventDuplicate: () => void this.duplicates++,
    eventRejected: (refusal) => {
      const reason = reasonOf(refusal);
      this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    },
  };

  constructor(s: MetricSources) {
    const registers = [this.registry];
    // Counters mirrored from plain numbers: set to the current total at each scrape.
    const mirror = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    const unit = `in the smallest unit of ${s.config.assetCode} (scale ${s.config.assetScale})`;

    new Gauge({ name: 'peer_info', help: 'Constant 1, labelled with the version and the ILP asset.', labelNames: ['version', 'ilp_address', 'asset_code', 'asset_scale'], registers })
      .set({ version: VERSION, ilp_address: s.config.ilpAddress, asset_code: s.config.assetCode, asset_scale: String(s.config.assetScale) }, 1);
    new Gauge({ name: 'peer_start_time_seconds', help: 'When this peer started (unix time).', registers }).set(Date.now() / 1000);

    gauge('nostr_connections', 'Open NIP-01 WebSocket connections.', s.connections);
    gauge('nostr_subscriptions', 'Live subscriptions (open REQs) over all connections.', () => s.relay.subscriptions.size);
    mirror('nostr_events_received_total', 'EVENT messages received.', () => s.relay.counters.eventsReceived);
    mirror('nostr_events_stored_total', 'Events stored (new, accepted and committed).', () => s.relay.counters.eventsStored);
    mirror('nostr_events_ephemeral_total', 'Ephemeral events accepted and fanned out (never stored).', () => s.relay.counters.eventsEphemeral);
    mirror('nostr_events_duplicate_total', 'Events already stored (answered OK true duplicate).', () => this.duplicates);
    const rejected = this.rejected;
    new Counter({
      name: 'nostr_events_rejected_total',
      help: 'Events refused, by NIP-01 reason prefix (payment-required: restricted for want of balance).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of rejected) this.inc({ reason }, n);
      },
    });
    mirror('nostr_reqs_total', 'REQ messages received.', () => s.relay.counters.reqs);
    mirror('nostr_fanout_deliveries_total', 'Stored or ephemeral events delivered to live subscriptions.', () => s.relay.counters.fanout);
    mirror('nostr_write_batches_total', 'Group-commit transactions written.', () => s.writer.batches);
    gauge('nostr_write_queue_events', 'Events waiting for the next group commit.', () => s.writer.pending);
    gauge('nostr_signature_checks_pending', `EVENTs waiting for their signature check (refused past ${MAX_PENDING_CHECKS}).`, () => s.relay.signatureChecksPending);
    gauge('nostr_read_queue_waiting', 'REQ, COUNT and NEG-OPEN reads waiting for a read worker (refused past READ_QUEUE_MAX).', () => s.relay.readPool().waiting);
    mirror('nostr_read_overruns_total', 'Reads stopped at READ_TIMEOUT_MS (their worker replaced).', () => s.relay.readPool().timeouts);
    mirror('peer_wal_checkpoints_total', 'Copies of the WAL into the database file by the checkpointer thread.', s.checkpoints);
    this.registry.registerMetric(this.ingest as never);
    this.registry.registerMetric(this.query as never);

    const file = s.databaseFile;
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    new Gauge({
      name: 'peer_database_size_bytes',
      help: 'Size of the SQLite database file and of its write-ahead log.',
      labelNames: ['file'],
      registers,
      collect() {
        this.set({ file: 'main' }, size(file));
        this.set({ file: 'wal' }, size(`${file}-wal`));
      },
    });

    const results = s.connector.results;
    new Counter({
      name: 'ilp_packets_total',
      help: 'ILP Prepares answered, by result: fulfilled or the reject code (F02, T04, R02, ...).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const [key, n] of results) this.inc({ result: key === 'fulfilled' || ILP_CODE.test(key) ? key : 'other' }, n);
      },
    });
    const peers = s.config.ilpPeers.map((p) => p.id);
    new Gauge({
      name: 'ilp_peer_connections',
      help: 'Open BTP connections of each configured peer.',
      labelNames: ['peer'],
      registers,
      collect() {
        for (const peer of peers) this.set({ peer }, s.connector.links.count(peer));
      },
    });
    const links = s.connector.linkStats;
    new Gauge({
      name: 'ilp_peer_link_up',
      help: 'Per peer and link kind: btp 1 while a BTP connection is open; http 0 after a request to its endpoint failed, until one succeeds.',
      labelNames: ['peer', 'kind'],
      registers,
      collect() {
        for (const peer of peers) this.set({ peer, kind: 'btp' }, s.connector.links.count(peer) > 0 ? 1 : 0);
        for (const [peer, h] of links.http) this.set({ peer, kind: 'http' }, h.state === 'down' ? 0 : 1);
      },
    });
    new Counter({
      name: 'ilp_link_packets_total',
      help: 'ILP Prepares per peer, link kind (btp, http) and direction (in: from the peer, out: to it), by result: fulfilled, the reject code, timeout or error.',
      labelNames: ['peer', 'kind', 'direction', 'result'],
      registers,
      collect() {
        this.reset();
        for (const e of links.entries()) this.inc({ peer: e.peer, kind: e.kind, direction: e.direction, result: e.result }, e.n);
      },
    });
    this.registry.registerMetric(
      links.latencyMetric('ilp_http_request_duration_seconds', 'Round trip of an ILP-over-HTTP POST to a peer, until its whole answer is read.') as never,
    );
    mirror('ledger_revenue_total', `Charged for stored events: credits of revenue/relay-fees, ${unit}.`, () => Number(s.money.revenue()));
    gauge('ledger_balances_outstanding', `Prepaid balances owed to pubkeys: sum of liabilities/balances/*, ${unit}.`, () =>
      Number(s.money.outstanding()),
    );
    new Gauge({
      name: 'ledger_peer_position',
      help: `What each peer owes us (debits - credits posted of assets/interledger/<peer>; negative: we owe it), ${unit}.`,
      labelNames: ['peer'],
      registers,
      collect() {
        for (const p of s.money.peerPositions()) this.set({ peer: p.peer }, Number(p.owes));
      },
    });

    if (s.settlement) settlementGauges(registers, s.settlement);

    const b = s.backups;
    new Counter({
      name: 'peer_backups_total',
      help: 'Scheduled backups attempted, by result.',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'success' }, b.successes);
        this.inc({ result: 'failure' }, b.failures);
      },
    });
    gauge('peer_backup_last_success_timestamp_seconds', 'When the last scheduled backup succeeded (unix time; 0: none yet).', () =>
      b.last ? b.last.at / 1000 : 0,
    );
    gauge('peer_backup_last_size_bytes', 'Size of the last successful scheduled backup.', () => b.last?.bytes ?? 0);

    const o = s.offsite;
    if (o) {
      const jobs = ['full', 'ledger', 'verify'] as const;
      new Counter({
        name: 'peer_offsite_backups_total',
        help: 'Off-site jobs attempted since start, by job (full: whole database, ledger: money tables, verify: restore test) and result.',
        labelNames: ['job', 'result'],
        registers,
        collect() {
          this.reset();
          for (const job of jobs) {
            this.inc({ job, result: 'success' }, o[job].successes);
            this.inc({ job, result: 'failure' }, o[job].failures);
          }
        },
      });
      new Gauge({
        name: 'peer_offsite_backup_last_success_timestamp_seconds',
        help: 'When each off-site job last succeeded (unix time; 0: not since start).',
        labelNames: ['job'],
        registers,
        collect() {
          for (const job of jobs) this.set({ job }, (o[job].last?.at ?? (job === 'verify' && o.verify.result?.ok ? o.verify.result.at : 0)) / 1000);
        },
      });
      gauge('peer_offsite_backup_newest_timestamp_seconds', 'Snapshot time of the newest backup in BACKUP_URL, either kind (unix time; 0: none known).', () =>
        (o.lastGoodAt ?? 0) / 1000,
      );
      gauge('peer_offsite_backup_last_size_bytes', 'Stored (encrypted) size of the last whole-database backup shipped since start.', () => o.full.last?.storedBytes ?? 0);
      gauge('peer_offsite_verify_ok', 'The last restore test of the newest off-site backup: 1 passed, 0 failed, -1 none since start.', () =>
        o.verify.result === undefined ? -1 : o.verify.result.ok ? 1 : 0,
      );
      gauge('peer_offsite_verify_events', 'Events counted in the backup by the last restore test that passed.', () => o.verify.result?.events ?? 0);
    }
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  /** Refused events by reason, and duplicates, since start (for the dashboard). */
  refusals(): { rejected: Record<string, number>; duplicates: number } {
    return { rejected: Object.fromEntries(this.rejected), duplicates: this.duplicates };
  }

  /** The exposition text: the process's metrics, then the peer's. */
  async render(): Promise<string> {
    return (await processMetrics().metrics()) + '\n' + (await this.registry.metrics());
  }
}

/** `GET /metrics`: Prometheus text format. */
export function metricsRoute(
  app: TemplatedApp,
  metrics: PeerMetrics,
  token: string,
  onError: (err: unknown) => void,
): void {
  // METRICS_TOKEN: the text names peers and what each owes, so an operator may keep it to their scraper
  const authorized = token ? bearerChecker(token) : () => true;
  app.get('/metrics', (res: HttpResponse, req: HttpRequest) => {
    if (!authorized(req.getHeader('authorization'))) {
      respondJson(res, '401 Unauthorized', { error: 'unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>' }, [
        ['WWW-Authenticate', 'Bearer realm="metrics"'],
      ]);
      return;
    }
    let aborted = false;
    res.onAborted(() => (aborted = true));
    metrics.render().then(
      (text) => aborted || respond(res, '200 OK', metrics.contentType, text),
      (err: unknown) => {
        onError(err);
        if (!aborted) respond(res, '500 Internal Server Error', 'text/plain', 'metrics failed\n');
      },
    );
  });
}
