import type { Logger } from 'pino';
import type { TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config/load';
import { clientIp } from '../http/client-ip';
import { respond, respondJson } from '../http/respond';
import { TokenBuckets } from '../http/token-buckets';
import { balanceAccount } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';
import { parsePubkey } from '../payments/npub';
import type { Prices } from '../payments/pricing';
import { SPSP_CORS_HEADERS, spspResponse } from '../payments/spsp';
import type { StreamCredentials } from '../payments/stream-credentials';
import type { Committer } from '../storage/committer';
import type { Db } from '../storage/database';
import { AuthServer, type DurableWrite } from './auth-server';
import { ClientKeys } from './client-keys';
import { Grants } from './grants';
import { OP_CORS_HEADERS, json, route, type OpHandler } from './http';
import type { IncomingPayments } from './incoming-payments';
import { checkNip98 } from './nip98';
import { payPage } from './pay-page';
import { ResourceServer } from './resource-server';
import { SignatureVerifier } from './signatures';
import { OpenPaymentsUrls } from './urls';
import { payView, walletAddressDocument } from './wallet-address';

export interface OpenPaymentsDeps {
  app: TemplatedApp;
  config: Config;
  db: Db;
  ledger: Ledger;
  committer: Committer;
  credentials: StreamCredentials;
  incomingPayments: IncomingPayments;
  prices: Prices;
  log: Logger;
}

/** How often expired grants and incoming payments are deleted. */
const PURGE_INTERVAL_MS = 60_000;
/** An expired incoming payment stays readable this long, so a wallet can still read its final state. */
const EXPIRED_RETENTION_MS = 24 * 3600_000;
const PURGE_BATCH = 1000;
/** Wallet address documents change only with the relay's settings. */
const WALLET_ADDRESS_CACHE = 'public, max-age=300';

/**
 * Mounts `GET /pay/:id` (SPSP, wallet address or pay page by Accept), `GET /pay/:id/balance` (NIP-98) and, when
 * PUBLIC_URL is set, the Open Payments auth server (`/op/auth…`) and resource server (`/op/incoming-payments…`).
 * Returns the function that stops the purge of expired grants and incoming payments.
 */
export function mountOpenPayments(deps: OpenPaymentsDeps): () => void {
  const { app, config, db, ledger, committer, credentials, incomingPayments, prices, log } = deps;
  const urls = config.publicUrl ? new OpenPaymentsUrls(config.publicUrl) : undefined;
  const onError = (err: unknown) => log.error({ err }, 'open payments: request failed');

  app.get('/pay/:id', (res, req) => {
    const view = payView(req.getHeader('accept'));
    const pubkey = parsePubkey(req.getParameter(0) ?? '');
    if (view === 'spsp' || !pubkey) {
      const a = spspResponse(req.getUrl(), credentials);
      return respond(res, a.statusText, a.headers[0][1], a.body, a.headers.slice(1));
    }
    if (view === 'page') {
      return respond(res, '200 OK', 'text/html; charset=utf-8', payPage(config, prices, pubkey, urls?.origin, req.getHeader('host')));
    }
    if (!urls) {
      return respondJson(res, '404 Not Found', { id: 'InvalidReceiverError', message: 'Open Payments needs the operator to set PUBLIC_URL' }, SPSP_CORS_HEADERS);
    }
    respondJson(res, '200 OK', walletAddressDocument(urls, pubkey, config.assetCode, config.assetScale), [
      ...OP_CORS_HEADERS,
      ['Cache-Control', WALLET_ADDRESS_CACHE],
    ]);
  });
  app.get('/pay/:id/jwks.json', (res) => respondJson(res, '404 Not Found', { error: 'this wallet address signs no requests' }, OP_CORS_HEADERS));

  app.get(
    '/pay/:id/balance',
    route((req) => {
      const pubkey = parsePubkey(req.param);
      if (!pubkey) return json('404 Not Found', { error: 'not a pubkey' });
      // Without PUBLIC_URL the page signs its own origin, http or https behind a proxy: either names this route.
      const origins = urls ? [urls.origin] : [`https://${req.headers['host']}`, `http://${req.headers['host']}`];
      let failed = checkNip98(req.headers['authorization'], pubkey, `${origins[0]}${req.path}`, 'GET');
      if (failed && origins[1]) failed = checkNip98(req.headers['authorization'], pubkey, `${origins[1]}${req.path}`, 'GET') && failed;
      if (failed) return json('401 Unauthorized', { error: failed }, [['WWW-Authenticate', 'Nostr']]);
      return json('200 OK', { balance: ledger.available(balanceAccount(pubkey)).toString(), assetCode: config.assetCode, assetScale: config.assetScale });
    }, onError),
  );
  app.options('/pay/:id/balance', (res) => respond(res, '204 No Content', 'text/plain', '', OP_CORS_HEADERS));

  const grants = new Grants(db, config.openPaymentsTokenLifetime * 1000);
  const timer = setInterval(() => {
    try {
      const now = Date.now();
      committer.run(() => {
        incomingPayments.purgeExpired(now - EXPIRED_RETENTION_MS, PURGE_BATCH);
        grants.purgeExpired(now, PURGE_BATCH);
      });
    } catch (err) {
      log.error({ err }, 'open payments: purge failed');
    }
  }, PURGE_INTERVAL_MS);
  timer.unref();
  const stop = () => clearInterval(timer);
  if (!urls) return stop;

  const write: DurableWrite = async (fn) => {
    const w = committer.run(fn);
    if (!(await w.durable)) throw new Error('open payments: a write did not reach the disk');
    return w.value;
  };
  const auth = new AuthServer({
    urls,
    grants,
    clientKeys: new ClientKeys({ insecure: config.openPaymentsInsecureClients, timeoutMs: config.openPaymentsKeyFetchTimeout }),
    signatures: new SignatureVerifier({ windowSeconds: config.openPaymentsSignatureWindow }),
    write,
    maxLivePerClient: config.openPaymentsMaxLivePerClient,
  });
  const rs = new ResourceServer({
    urls,
    auth,
    payments: incomingPayments,
    credentials,
    assetCode: config.assetCode,
    assetScale: config.assetScale,
    maxExpiryMs: config.openPaymentsMaxExpiry * 1000,
    write,
    maxLivePerClient: config.openPaymentsMaxLivePerClient,
  });
  // What writes rows for a stranger (grants, incoming payments) comes at a rate per address: the per-client caps
  // alone do not bound anything, since a client identity costs nothing.
  const perIp = config.openPaymentsRatePerIp ? new TokenBuckets(config.openPaymentsRatePerIp) : undefined;
  const limited =
    (handler: OpHandler): OpHandler =>
    (req) => {
      const ip = clientIp(req.remote, req.forwardedFor, config.trustedProxies);
      if (!perIp || perIp.take(ip)) return handler(req);
      return json('429 Too Many Requests', { error: { code: 'rate_limited', description: 'too many requests from this address; try again shortly' } }, [
        ['Retry-After', String(perIp.wait(ip))],
      ]);
    };
  app.post('/op/auth', route(limited(auth.grant), onError));
  app.post('/op/auth/continue/:id', route(auth.continueGrant, onError));
  app.del('/op/auth/continue/:id', route(auth.continueGrant, onError));
  app.post('/op/auth/token/:id', route(auth.manageToken, onError));
  app.del('/op/auth/token/:id', route(auth.manageToken, onError));
  app.post('/op/incoming-payments', route(limited(rs.create), onError));
  app.get('/op/incoming-payments', route(rs.list, onError));
  app.get('/op/incoming-payments/:id', route(rs.get, onError));
  app.post('/op/incoming-payments/:id/complete', route(rs.complete, onError));
  app.options('/op/*', (res) => respond(res, '204 No Content', 'text/plain', '', OP_CORS_HEADERS));
  return stop;
}
