import type { Logger } from 'pino';
import * as uWS from 'uWebSockets.js';
import type { Config } from '../config/load';
import { btpRoute } from '../connector/btp-server';
import { Connector, peerForToken } from '../connector/connector';
import { openHttpLinks } from '../connector/http-link-client';
import { httpLinkRoute } from '../connector/http-link-server';
import { CORS_HEADERS, respond, respondJson } from '../http/respond';
import { Economics } from '../ops/economics';
import { health } from '../ops/health';
import { offsiteHealth } from '../ops/backup/offsite-status';
import { startOps } from '../ops/ops';
import { verifier } from '../nostr/verify';
import { homePage } from '../relay/home-page';
import { streamConnectionsPerPeer } from '../relay/policies/connection-policies';
import { relayInfo } from '../relay/nip11';
import { Relay, readPoolFor } from '../relay/relay';
import { relayWebSocket } from '../relay/websocket';
import { streamSessions } from '../relay/stream-session';
import { Ledger } from '../ledger/ledger';
import { LedgerViews } from '../ledger/views';
import { PaidWrite } from '../payments/paid-write';
import { pricesFrom } from '../payments/pricing';
import { loadServerSecret } from '../payments/server-secret';
import { SPSP_CORS_HEADERS, spspResponse } from '../payments/spsp';
import { StreamCredentials } from '../payments/stream-credentials';
import { IncomingPayments } from '../open-payments/incoming-payments';
import { mountOpenPayments } from '../open-payments/routes';
import { StreamReceiver } from '../payments/stream/receiver';
import type { SettlementChain } from '../settlement/channel-chain';
import { recordSettlementAction } from '../settlement/record-action';
import { SettlementRecorder } from '../settlement/record-settlement';
import { SETTLEMENT_PROTOCOL } from '../settlement/settlement-messages';
import { openDatabase } from '../storage/database';
import { privateDir, type Tightened } from '../storage/private-files';
import { EventStore } from '../storage/events';
import { startExpirationPurge } from '../storage/expiration-purge';
import { startVanishPurge } from '../storage/vanish-purge';
import { Checkpointer } from '../storage/checkpointer';
import { Committer } from '../storage/committer';
import { DurableWriter } from '../storage/durable-writer';
import { lockDataDir } from './data-dir-lock';
import { databaseFile } from './database-file';
import { portHolder } from './port-holder';
import { startupSummary } from './startup-summary';

export interface Peer {
  readonly port: number;
  readonly config: Config;
  /** Stops accepting, answers what is in flight, closes sockets with a NOTICE, checkpoints the WAL. */
  stop(): Promise<void>;
}

/** uWS's listen option for a port without SO_REUSEPORT (ListenOptions is a type-only enum in uws-pack). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

function openOrUnlock(file: string, unlock: () => void, onTightened: (t: Tightened) => void): ReturnType<typeof openDatabase> {
  try {
    return openDatabase(file, onTightened);
  } catch (err) {
    unlock();
    throw err;
  }
}

/** What the composition root takes besides the settings (tests pass an in-memory chain here). */
export interface ComposeOptions {
  /** The chains peers settle on (the chain client builds them from SETTLEMENT_<CHAIN>_*). */
  settlementChains?: readonly SettlementChain[];
  settlementTickMs?: number;
  /** Tests only: see SettlementParts.beforeSend. */
  beforeVoucherSend?: (peer: string) => Promise<void>;
}

/** The composition root: opens storage, builds the relay, registers every route on one uWS app, listens. */
export async function composePeer(config: Config, log: Logger, options: ComposeOptions = {}): Promise<Peer> {
  const startedAt = Date.now();
  // The chain client (viem), the S3 client and the Open Payments client are loaded only when configured: a start
  // without them does not pay for parsing them.
  const settles = config.ilpPeers.some((p) => p.settlement);
  const settlementEngine = settles ? await import('../settlement/settlement-engine') : undefined;
  const settlementChains = options.settlementChains ?? (settles ? await (await import('../settlement/settlement-chains')).openSettlementChains(config) : []);
  settlementEngine?.checkSettlementChains(config.ilpPeers, settlementChains);
  const tightened = (t: Tightened) =>
    t.error
      ? log.warn({ path: t.path, mode: t.was, err: t.error }, 'readable by others and cannot be made private')
      : log.warn({ path: t.path, was: t.was }, 'was readable by others: made private to this user');
  // Top-ups need the operator wallet's asset; a wallet that cannot be read or holds another asset stops the start.
  const wantsTopUps = [config.operatorWalletAddress, config.operatorWalletKeyId, config.operatorWalletPrivateKey, config.operatorWalletPrivateKeyFile].some(Boolean);
  const topUpModule = wantsTopUps ? await import('../open-payments/operator-wallet') : undefined;
  const operatorWallet = await topUpModule?.connectOperatorWallet(config, log);
  const dirWas = privateDir(config.dataDir);
  if (dirWas) tightened(dirWas);
  // A new lease (no database, BACKUP_URL set) comes back with its data before anything opens the database.
  if (config.backupUrl) await (await import('../ops/backup/restore-on-boot')).restoreOnBoot(config, databaseFile(config.dataDir), log);
  // Before the database is opened: a second peer on this folder would serve from a database another one owns.
  const unlock = lockDataDir(config.dataDir, 'serve');
  const db = openOrUnlock(databaseFile(config.dataDir), unlock, tightened);
  const store = new EventStore(db, { publicUrl: config.publicUrl });
  const stopPurge = startExpirationPurge(db, store, config.expiredPurgeInterval, log);
  const stopVanishPurge = startVanishPurge(db, store, log);
  const ledger = new Ledger(db);
  const money = new LedgerViews(db);
  const economics = new Economics(db, money);
  const snapshots =
    config.economicSnapshotInterval > 0
      ? setInterval(() => economics.snapshot(), config.economicSnapshotInterval * 1000).unref()
      : undefined;
  const committer = new Committer(db, `${databaseFile(config.dataDir)}-wal`, (err) => log.error({ err }, 'commit failed'));
  const checkpointer = new Checkpointer(databaseFile(config.dataDir), (err) => log.error({ err }, 'checkpoint failed'));
  committer.onCommit = () => checkpointer.committed();
  const writer = new DurableWriter(committer, (err) => log.error({ err }, 'event write failed'));
  const prices = pricesFrom(config);
  const reads = readPoolFor(databaseFile(config.dataDir), config, log);
  const relay = new Relay(config, store, writer, new PaidWrite(writer, store, ledger, prices), log, reads);
  // Packets in flight when the process stopped can no longer be fulfilled: their money goes back.
  const voided = ledger.voidAllPending();
  if (voided > 0) log.warn({ voided }, 'voided pending transfers left by the last run');
  const connector = new Connector(
    {
      ilpAddress: config.ilpAddress,
      assetCode: config.assetCode,
      assetScale: config.assetScale,
      maxPacketAmount: config.ilpMaxPacketAmount,
      peers: config.ilpPeers,
    },
    ledger,
    committer,
    log,
  );
  const credentials = new StreamCredentials(loadServerSecret(db), config.ilpAddress);
  const incomingPayments = new IncomingPayments(db);
  connector.setIncomingPayments(incomingPayments);
  const receiver = new StreamReceiver({
    credentials,
    assetCode: config.assetCode,
    assetScale: config.assetScale,
    app: streamSessions(relay),
    sendPrepare: (p) => connector.originate(p),
    log,
    limits: {
      maxLineBytes: config.maxMessageBytes,
      maxConnections: config.streamMaxConnections,
      maxConnectionsPerPeer: config.streamMaxConnectionsPerPeer,
      maxBufferedPerConnection: config.streamMaxBufferedPerConnection,
      maxBufferedTotal: config.streamMaxBufferedTotal,
    },
    admitConnection: streamConnectionsPerPeer(config),
    incomingPayments,
  });
  connector.setLocalReceiver(receiver);
  const recorder = new SettlementRecorder(db, ledger);
  // Settlement on a chain, when a peer settles on one; out-of-band records (recorder) need no chain.
  const settlement = settlementEngine && new settlementEngine.SettlementEngine({
    db, ledger, recorder, committer, links: connector.links, peers: config.ilpPeers, chains: settlementChains,
    assetScale: config.assetScale, log, tickMs: options.settlementTickMs, beforeSend: options.beforeVoucherSend,
  });

  let listenSocket: uWS.us_listen_socket | undefined;
  let draining = false;
  const app = uWS.App();
  const btp = btpRoute(app, '/btp', connector, peerForToken(config.ilpPeers), config, log, settlement && new Map([[SETTLEMENT_PROTOCOL, settlement.handler]]));
  // ILP-over-HTTP beside BTP: outgoing links for peers with `http`, and POST /ilp for incoming packets
  const httpLinks = openHttpLinks(config.ilpPeers, connector.links, config.ilpAddress, connector.linkStats, log);
  const ilpHttp = httpLinkRoute(app, '/ilp', {
    connector, peerForToken: peerForToken(config.ilpPeers), callbacks: httpLinks.callbacks, draining: () => draining, stats: connector.linkStats, config, log,
  });
  const ws = relayWebSocket(app, '/*', relay, config, log);

  app.get('/', (res, req) => {
    if (req.getHeader('accept').includes('application/nostr+json')) {
      respond(res, '200 OK', 'application/nostr+json', JSON.stringify(relayInfo(config, prices, req.getHeader('host'))), CORS_HEADERS);
    } else {
      respond(res, '200 OK', 'text/html; charset=utf-8', homePage(config, prices, req.getHeader('host')));
    }
  });
  app.options('/*', (res) => respond(res, '204 No Content', 'text/plain', '', CORS_HEADERS));
  const spsp = (res: uWS.HttpResponse, req: uWS.HttpRequest) => {
    const a = spspResponse(req.getUrl(), credentials);
    respond(res, a.statusText, a.headers[0][1], a.body, a.headers.slice(1));
  };
  app.get('/.well-known/pay', spsp);
  app.options('/.well-known/pay', (res) => respond(res, '204 No Content', 'text/plain', '', SPSP_CORS_HEADERS));
  app.options('/pay/:id', (res) => respond(res, '204 No Content', 'text/plain', '', SPSP_CORS_HEADERS));
  const stopOpenPayments = mountOpenPayments({ app, config, db, ledger, committer, credentials, incomingPayments, prices, log });
  const topUps = operatorWallet && topUpModule?.mountTopUps({ app, config, db, ledger, committer, log, ...operatorWallet });
  const selectOne = db.prepare('SELECT 1').pluck();
  // O(1) per call: unauthenticated, so it must not scan; writes that fail (a full disk) take the database down
  app.get('/health', (res) => {
    const h = health(
      {
        database: () => !committer.broken && committer.failing === undefined && selectOne.get() === 1,
        ledger: () => ledger.totals().balanced,
        websocket: () => listenSocket !== undefined && !draining,
      },
      startedAt,
    );
    // The bucket's state is a detail beside the status: a storage outage must not get a serving relay restarted.
    const backup = ops.offsite ? offsiteHealth(ops.offsite.status, config, startedAt) : {};
    respondJson(res, h.status === 'ok' ? '200 OK' : '503 Service Unavailable', { ...h, ...backup }, CORS_HEADERS);
  });
  app.get('/ready', (res) => {
    const ready = listenSocket !== undefined && !draining;
    respondJson(res, ready ? '200 OK' : '503 Service Unavailable', { ready });
  });
  const offsite = config.backupUrl
    ? (await import('../ops/backup/offsite-schedule')).scheduleOffsite(config, databaseFile(config.dataDir), db, log, startedAt)
    : undefined;
  const ops = startOps({
    config, log, app, databaseFile: databaseFile(config.dataDir), offsite, relay, connections: () => ws.connections.size, writer,
    checkpoints: () => checkpointer.runs, connector, startedAt, money, economics,
    settlement: settlement?.view,
    dashboardActions: { settlements: (headers) => recordSettlementAction(recorder, committer, headers) },
  });
  app.any('/*', (res) => respondJson(res, '404 Not Found', { error: 'not found' }));

  let stopped: Promise<void> | undefined;
  const peer = {
    port: 0,
    config,
    stop: () =>
      (stopped ??= (async () => {
        draining = true;
        stopPurge();
        stopVanishPurge();
        stopOpenPayments();
        await topUps?.stop();
        if (listenSocket) uWS.us_listen_socket_close(listenSocket);
        const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
        // New ILP packets are refused (T03); those in flight get their answers, within the 10 s budget.
        await connector.drain(3000);
        // no new settlement rounds; the one under way ends once the BTP sockets close (below)
        const settling = settlement?.stop();
        // Answers to everything received so far go out before the sockets close.
        await relay.verified();
        writer.flush();
        await committer.settled();
        await nextTurn();
        ws.closeAll('restarting: relay is shutting down');
        await reads.close();
        btp.closeAll();
        ilpHttp.close();
        httpLinks.close();
        await settling;
        receiver.close();
        app.close();
        await relay.verified();
        // Packets still being forwarded see their link close and void their transfers; commit that too.
        await connector.drain(1000);
        await nextTurn();
        committer.commit();
        await committer.settled();
        clearInterval(snapshots);
        economics.snapshot();
        // a backup in progress holds a read transaction that would keep the checkpoint from truncating the WAL
        await ops.stop();
        await checkpointer.close();
        // Whatever a late callback wrote meanwhile; nothing awaits between here and close, so no write can follow.
        committer.commit();
        committer.close();
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        unlock();
        log.info({ uptime: Math.round((Date.now() - startedAt) / 1000) }, 'peer stopped');
      })()),
  };

  // An exclusive port (no SO_REUSEPORT): a second listener on it fails rather than taking half of the clients.
  // uws-pack's typings lack the (host, port, options, cb) form that the native addon has.
  const listen = app.listen as unknown as (host: string, port: number, options: number, cb: (s: uWS.us_listen_socket | false) => void) => void;
  listenSocket = await new Promise<uWS.us_listen_socket | undefined>((resolve) =>
    listen.call(app, config.host, config.port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => resolve(socket || undefined)),
  );
  if (!listenSocket) {
    await peer.stop();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${portHolder(config.port)}`);
  }
  const port = (peer.port = uWS.us_socket_local_port(listenSocket));
  settlement?.start();
  // no count(*) here: on a large database it is a full scan, and cold start is measured to /ready
  log.info(startupSummary(config, prices, port, verifier.name), 'peer listening');
  if (verifier.fallbackReason) log.warn({ verifier: verifier.name, reason: verifier.fallbackReason }, 'signature verifier');

  return peer;
}
