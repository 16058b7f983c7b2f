import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import * as uWS from 'uWebSockets.js';
import type { Config } from '../config/load';
import { btpRoute } from '../connector/btp-server';
import { Connector, peerForToken } from '../connector/connector';
import { CORS_HEADERS, respond, respondJson } from '../http/respond';
import { health } from '../ops/health';
import { startOps } from '../ops/ops';
import { verifier } from '../nostr/verify';
import { homePage } from '../relay/home-page';
import { relayInfo } from '../relay/nip11';
import { Relay, readPoolFor } from '../relay/relay';
import { relayWebSocket } from '../relay/websocket';
import { Ledger } from '../ledger/ledger';
import { billing } from '../payments/charge';
import { Economics } from '../payments/economics';
import { pricesFrom } from '../payments/pricing';
import { loadServerSecret } from '../payments/server-secret';
import { SPSP_CORS_HEADERS, spspResponse } from '../payments/spsp';
import { StreamCredentials } from '../payments/stream-credentials';
import { StreamReceiver } from '../payments/stream-receiver';
import { openDatabase } from '../storage/database';
import { EventStore } from '../storage/events';
import { startExpirationPurge } from '../storage/expiration-purge';
import { Checkpointer } from '../storage/checkpointer';
import { Committer } from '../storage/committer';
import { WriteQueue } from '../storage/write-queue';

export interface Peer {
  readonly port: number;
  readonly config: Config;
  /** Stops accepting, answers what is in flight, closes sockets with a NOTICE, checkpoints the WAL. */
  stop(): Promise<void>;
}

export const databaseFile = (dataDir: string) => path.join(dataDir, 'peer.sqlite');

/** The composition root: opens storage, builds the relay, registers every route on one uWS app, listens. */
export async function launch(config: Config, log: Logger): Promise<Peer> {
  const startedAt = Date.now();
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(databaseFile(config.dataDir));
  const store = new EventStore(db);
  const stopPurge = startExpirationPurge(db, store, config.expiredPurgeInterval, log);
  const ledger = new Ledger(db);
  const economics = new Economics(db);
  const snapshots =
    config.economicSnapshotInterval > 0
      ? setInterval(() => economics.snapshot(), config.economicSnapshotInterval * 1000).unref()
      : undefined;
  const committer = new Committer(db, `${databaseFile(config.dataDir)}-wal`, (err) => log.error({ err }, 'commit failed'));
  const checkpointer = new Checkpointer(databaseFile(config.dataDir), (err) => log.error({ err }, 'checkpoint failed'));
  committer.onCommit = () => checkpointer.committed();
  const writer = new WriteQueue(committer, store, billing(ledger), (err) => log.error({ err }, 'event write failed'));
  const prices = pricesFrom(config);
  const reads = readPoolFor(databaseFile(config.dataDir), config, log);
  const relay = new Relay(config, store, writer, prices, log, reads);
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
  const receiver = new StreamReceiver({
    credentials,
    assetCode: config.assetCode,
    assetScale: config.assetScale,
    relay,
    sendPrepare: (p) => connector.originate(p),
    log,
    limits: { maxLineBytes: config.maxMessageBytes },
  });
  connector.setLocalReceiver(receiver);

  let listenSocket: uWS.us_listen_socket | undefined;
  let draining = false;
  const app = uWS.App();
  const btp = btpRoute(app, '/btp', connector, peerForToken(config.ilpPeers), log);
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
  app.get('/pay/:id', spsp);
  app.options('/.well-known/pay', (res) => respond(res, '204 No Content', 'text/plain', '', SPSP_CORS_HEADERS));
  app.options('/pay/:id', (res) => respond(res, '204 No Content', 'text/plain', '', SPSP_CORS_HEADERS));
  app.get('/health', (res) => {
    const h = health(
      {
        database: () => !committer.broken && db.prepare('SELECT 1').pluck().get() === 1,
        ledger: () => ledger.invariant().balanced,
        websocket: () => listenSocket !== undefined && !draining,
      },
      startedAt,
    );
    respondJson(res, h.status === 'ok' ? '200 OK' : '503 Service Unavailable', h, CORS_HEADERS);
  });
  app.get('/ready', (res) => {
    const ready = listenSocket !== undefined && !draining;
    respondJson(res, ready ? '200 OK' : '503 Service Unavailable', { ready });
  });
  const ops = startOps({
    config, log, app, db, databaseFile: databaseFile(config.dataDir), relay, connections: () => ws.connections.size, writer,
    checkpoints: () => checkpointer.runs, connector, startedAt,
  });
  app.any('/*', (res) => respondJson(res, '404 Not Found', { error: 'not found' }));

  listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) =>
    app.listen(config.host, config.port, (socket) =>
      socket ? resolve(socket) : reject(new Error(`cannot listen on ${config.host}:${config.port}`)),
    ),
  );
  const port = uWS.us_socket_local_port(listenSocket);
  // no count(*) here: on a large database it is a full scan, and cold start is measured to /ready
  log.info({ host: config.host, port, dataDir: config.dataDir }, 'peer listening');
  if (verifier.fallbackReason) log.warn({ verifier: verifier.name, reason: verifier.fallbackReason }, 'signature verifier');
  else log.info({ verifier: verifier.name }, 'signature verifier');

  let stopped: Promise<void> | undefined;
  return {
    port,
    config,
    stop: () =>
      (stopped ??= (async () => {
        draining = true;
        stopPurge();
        if (listenSocket) uWS.us_listen_socket_close(listenSocket);
        const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
        // New ILP packets are refused (T03); those in flight get their answers, within the 10 s budget.
        await connector.drain(3000);
        // Answers to everything received so far go out before the sockets close.
        await relay.verified();
        writer.flush();
        await committer.settled();
        await nextTurn();
        ws.closeAll('restarting: relay is shutting down');
        await reads.close();
        btp.closeAll();
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
        log.info({ uptime: Math.round((Date.now() - startedAt) / 1000) }, 'peer stopped');
      })()),
  };
}
