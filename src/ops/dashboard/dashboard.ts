import { readFileSync, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { IpList } from '../../config/ip-list';
import { respond, respondJson } from '../../http/respond';
import type { Payer } from '../../ledger/views';
import { dashboardDir } from '../../native';
import { encodeNpub } from '../../payments/npub';
import { clientIp } from '../../http/client-ip';
import { TokenBuckets } from '../../http/token-buckets';
import { VERSION } from '../../version';
import { listBackups } from '../backup/backup-files';
import { offsiteSummary } from '../backup/offsite-summary';
import type { Economics } from '../economics';
import type { MetricSources, PeerMetrics } from '../metrics';
import type { RecentErrors } from '../recent-errors';
import { basicAuthChecker } from './basic-auth';
import { FailedLogins } from './failed-logins';
import { History, SAMPLE_MS, type Sample } from './history';
import { ProcessSampler, type ProcessSample } from './process-sampler';
import { StoreCounter } from './store-counts';

export interface DashboardSources extends MetricSources {
  economics: Economics;
  metrics: PeerMetrics;
  errors: RecentErrors;
  backupsDir: string;
  startedAt: number;
  log?: Logger;
}

/** Ranges the page offers, in seconds; the in-memory history keeps a day, economic snapshots go further back. */
const RANGES = new Set([900, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600]);
const MAX_POINTS = 360;
/** Wrong credentials allowed per client address: 10 at once, then one every 6 s (a guess per 6 s, not thousands). */
const LOGIN_FAILURES = { count: 10, seconds: 60 };
/** Top payers are the one scan over every balance: polls within this many ms reuse the last one. */
const TOP_PAYERS_MS = 5000;

const fileSize = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

/** Bytes free to this process on the file system of `dir`, or null when it cannot be read. */
const freeBytes = (dir: string) => {
  try {
    const fs = statfsSync(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
};

/**
 * ILP results by meaning. F99 is STREAM's "application error": receivers answer it to rate probes and to packets
 * of a closing connection, so it is normal traffic, shown apart from failures.
 */
function ilpResults(results: Map<string, number>) {
  const failures: Record<string, number> = {};
  for (const [k, n] of results) if (k !== 'fulfilled' && k !== 'F99') failures[k] = n;
  return { fulfilled: results.get('fulfilled') ?? 0, applicationErrors: results.get('F99') ?? 0, failures };
}

/** The dashboard's data: samples for the charts every SAMPLE_MS, and the JSON the page polls. */
export class Dashboard {
  readonly history = new History();
  readonly failedLogins: FailedLogins;
  private readonly process = new ProcessSampler();
  /** The timer's latest process figures: a poll reuses them rather than cutting the 5 s window short. */
  private lastProcess: ProcessSample;
  private readonly counts: StoreCounter;
  private readonly timer: NodeJS.Timeout;
  /** The last top-payers scan and when it ran (TOP_PAYERS_MS). */
  private topPayers?: { at: number; payers: Payer[] };

  constructor(private readonly s: DashboardSources) {
    this.failedLogins = new FailedLogins(s.log);
    this.counts = new StoreCounter(() => s.relay.readPool().run({ kind: 'storeCounts' }, 'dashboard').answer);
    this.lastProcess = this.process.sample();
    this.history.add(this.sample());
    this.timer = setInterval(() => {
      this.lastProcess = this.process.sample();
      this.history.add(this.sample());
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.process.stop();
  }

  sample(): Sample {
    const { relay, money, databaseFile } = this.s;
    const c = relay.counters;
    return {
      t: Date.now(),
      received: c.eventsReceived,
      stored: c.eventsStored,
      rejected: c.eventsRejected,
      fanout: c.fanout,
      connections: this.s.connections(),
      subscriptions: relay.subscriptions.size,
      dbBytes: fileSize(databaseFile),
      walBytes: fileSize(`${databaseFile}-wal`),
      revenue: Number(money.revenue()),
      outstanding: Number(money.outstanding()),
      ...this.lastProcess,
    };
  }

  /** Economic snapshots since `since` (unix ms), thinned to MAX_POINTS; amounts as numbers, for charts. */
  private economics(since: number): { t: number[]; revenue: number[]; outstanding: number[] } {
    const rows = this.s.economics.since(Math.floor(since / 1000));
    const step = Math.max(1, Math.ceil(rows.length / MAX_POINTS));
    const kept = rows.filter((_, i) => (rows.length - 1 - i) % step === 0);
    return { t: kept.map((r) => Number(r.t)), revenue: kept.map((r) => Number(r.revenue)), outstanding: kept.map((r) => Number(r.outstanding)) };
  }

  private payers(): Payer[] {
    const now = Date.now();
    if (!this.topPayers || now - this.topPayers.at >= TOP_PAYERS_MS) this.topPayers = { at: now, payers: this.s.money.topPayers(10) };
    return this.topPayers.payers;
  }

  /** Everything the page shows; amounts are decimal strings in the smallest unit (exact past 2^53). */
  summary(rangeSeconds: number) {
    const { config, relay, money, connector, metrics, backups } = this.s;
    const now = this.sample();
    const history = this.history.series(now.t - rangeSeconds * 1000, MAX_POINTS - 1);
    for (const [k, v] of Object.entries(now)) history[k as keyof Sample].push(v);
    const q = (h: typeof metrics.ingest) => ({ p50: h.quantile(0.5) ?? null, p99: h.quantile(0.99) ?? null, count: h.observations });
    const positions = money.peerPositions();
    const revenue = money.revenue();
    const outstanding = money.outstanding();
    return {
      peer: {
        name: config.relayName,
        version: VERSION,
        ilpAddress: config.ilpAddress,
        assetCode: config.assetCode,
        assetScale: config.assetScale,
        startedAt: new Date(this.s.startedAt).toISOString(),
        uptime: Math.round((now.t - this.s.startedAt) / 1000),
      },
      now: { ...now, reqs: relay.counters.reqs, writeQueue: this.s.writer.pending, revenue: String(revenue), outstanding: String(outstanding) },
      money: {
        // Every debit of a balance is a fee credited to revenue/relay-fees (src/ledger/account-paths.ts), so what
        // came into balances is what was earned plus what is still prepaid: no scan over the balances.
        received: String(revenue + outstanding),
        earned: String(revenue),
        prepaid: String(outstanding),
      },
      store: this.counts.get(now.stored),
      disk: { free: freeBytes(config.dataDir), backupNeeds: now.dbBytes + now.walBytes },
      range: rangeSeconds,
      sampleSeconds: SAMPLE_MS / 1000,
      history,
      economics: this.economics(now.t - rangeSeconds * 1000),
      refusals: metrics.refusals(),
      latency: { ingest: q(metrics.ingest), query: q(metrics.query) },
      ilp: {
        results: Object.fromEntries(connector.results),
        ...ilpResults(connector.results),
        peers: config.ilpPeers.map((p) => {
          const pos = positions.find((x) => x.peer === p.id);
          return {
            id: p.id,
            connections: connector.links.count(p.id),
            owes: String(pos?.owes ?? 0n),
            pending: String(pos?.pending ?? 0n),
            limit: String(pos?.limit ?? p.creditLimit),
          };
        }),
        links: config.ilpPeers.flatMap((p) => {
          const stats = connector.linkStats;
          const btp = { peer: p.id, kind: 'btp', state: connector.links.count(p.id) > 0 ? 'connected' : 'offline', packets: stats.totals(p.id, 'btp') };
          const http = stats.http.get(p.id);
          if (!http) return [btp];
          const since = new Date(http.since).toISOString();
          return [btp, { peer: p.id, kind: 'http', state: http.state, since, error: http.error ?? null, packets: stats.totals(p.id, 'http'), latency: stats.latencyOf(p.id) }];
        }),
      },
      settlement: this.s.settlement?.channels() ?? [],
      topPayers: this.payers().map((p) => ({ pubkey: p.pubkey, npub: encodeNpub(p.pubkey), spent: String(p.spent), balance: String(p.balance) })),
      failedLogins: { total: this.failedLogins.total, recent: this.failedLogins.list() },
      errors: this.s.errors.list().reverse(),
      backups: {
        intervalSeconds: config.backupInterval,
        keep: config.backupKeep,
        running: backups.running,
        successes: backups.successes,
        failures: backups.failures,
        last: backups.last ? { at: new Date(backups.last.at).toISOString(), file: path.basename(backups.last.file), bytes: backups.last.bytes } : null,
        lastFailure: backups.lastFailure ? { at: new Date(backups.lastFailure.at).toISOString(), message: backups.lastFailure.message } : null,
        nextAt: backups.nextAt ? new Date(backups.nextAt).toISOString() : null,
        files: listBackups(this.s.backupsDir)
          .reverse()
          .map((b) => ({ name: b.name, bytes: b.bytes, at: new Date(b.at).toISOString() })),
      },
      offsite: this.s.offsite ? offsiteSummary(this.s.offsite, config, this.s.startedAt) : null,
    };
  }
}

/** Headers of every dashboard response: never cached, never framed, nothing loaded from elsewhere. */
const HEADERS: [string, string][] = [
  ['Cache-Control', 'no-store'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  [
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  ],
];

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'settlement.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/**
 * `GET /dashboard` (and its assets and `/dashboard/api/summary`) behind HTTP Basic Auth. Registered only when
 * DASHBOARD_USER and DASHBOARD_PASSWORD are both set; otherwise these paths fall through to the 404 route.
 */
export function dashboardRoutes(
  app: TemplatedApp,
  dashboard: Dashboard,
  user: string,
  password: string,
  trustedProxies: IpList,
  /** Operator actions, `POST /dashboard/api/<name>`, each built with the dashboard's response headers. */
  actions: Record<string, (headers: [string, string][]) => (res: HttpResponse, req: HttpRequest) => void> = {},
): void {
  const authorized = basicAuthChecker(user, password);
  const failures = new TokenBuckets(LOGIN_FAILURES);
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    try {
      files.set(name, readFileSync(path.join(dashboardDir(), name)));
    } catch {
      /* reported per request below */
    }
  }
  const guard = (handler: (res: HttpResponse, req: HttpRequest) => void) => (res: HttpResponse, req: HttpRequest) => {
    const header = req.getHeader('authorization');
    const ip = clientIp(Buffer.from(res.getRemoteAddressAsText()).toString(), req.getHeader('x-forwarded-for'), trustedProxies);
    // Past the allowance of wrong credentials, none are checked at all until the address has a token again.
    const wait = failures.wait(ip);
    if (wait > 0) {
      return respond(res, '429 Too Many Requests', 'text/plain; charset=utf-8', 'too many failed logins; try again later\n', [
        ['Retry-After', String(wait)],
        ...HEADERS,
      ]);
    }
    if (!authorized(header)) {
      // A request without credentials is a browser asking which scheme to use, not a guess.
      if (header !== '') {
        failures.take(ip);
        dashboard.failedLogins.record(ip);
      }
      return respond(res, '401 Unauthorized', 'text/plain; charset=utf-8', 'authentication required\n', [
        ['WWW-Authenticate', 'Basic realm="peer dashboard", charset="UTF-8"'],
        ...HEADERS,
      ]);
    }
    handler(res, req);
  };
  const asset = (name: string) => (res: HttpResponse) => {
    const body = files.get(name);
    if (!body) return respond(res, '500 Internal Server Error', 'text/plain', `dashboard file ${name} is missing from ${dashboardDir()}\n`, HEADERS);
    respond(res, '200 OK', ASSETS[name], body, HEADERS);
  };
  app.get('/dashboard', guard(asset('index.html')));
  app.get('/dashboard/', guard(asset('index.html')));
  for (const name of Object.keys(ASSETS)) app.get(`/dashboard/${name}`, guard(asset(name)));
  app.get(
    '/dashboard/api/summary',
    guard((res, req) => {
      const range = Number(new URLSearchParams(req.getQuery() ?? '').get('range'));
      respondJson(res, '200 OK', dashboard.summary(RANGES.has(range) ? range : 3600), HEADERS);
    }),
  );
  for (const [name, action] of Object.entries(actions)) app.post(`/dashboard/api/${name}`, guard(action(HEADERS)));
  app.get('/dashboard/*', guard((res) => respondJson(res, '404 Not Found', { error: 'not found' }, HEADERS)));
}
