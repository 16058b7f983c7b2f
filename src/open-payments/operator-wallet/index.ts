import type { Logger } from 'pino';
import { renderSVG } from 'uqr';
import type { TemplatedApp } from 'uWebSockets.js';
import { ConfigError, type Config } from '../../config/load';
import { respond, respondJson } from '../../http/respond';
import type { Ledger } from '../../ledger/ledger';
import { parsePubkey } from '../../payments/npub';
import type { Committer } from '../../storage/committer';
import type { Db } from '../../storage/database';
import { OP_CORS_HEADERS, route } from '../http';
import { ScaleConversion } from './scale';
import { operatorWalletSettings } from './settings';
import { TopUps } from './top-ups';
import { topUpHandler } from './top-up-route';
import { TopUpWatcher } from './watcher';
import { OperatorWallet } from './wallet';

export interface OperatorWalletConnection {
  wallet: OperatorWallet;
  scale: ScaleConversion;
}

/**
 * Checks the operator wallet settings and reads the wallet address (its asset must be ASSET_CODE, its scale one we
 * convert exactly); undefined when top-ups are off. Runs before the peer opens anything: a bad key, an unreadable
 * wallet or another asset is a ConfigError, one line naming the variable.
 */
export async function connectOperatorWallet(config: Config, log: Logger): Promise<OperatorWalletConnection | undefined> {
  const settings = operatorWalletSettings(config);
  if (!settings) return undefined;
  if (settings.looseKeyFile) log.warn({ path: settings.looseKeyFile }, 'OPERATOR_WALLET_PRIVATE_KEY_FILE is readable by others: chmod 600 it');
  const wallet = await OperatorWallet.connect(settings, config.assetCode);
  const scale = new ScaleConversion(config.assetScale, wallet.asset.assetScale);
  const { topUpMaxAmount: max } = config;
  if (scale.shift > 0 && scale.step > max) {
    throw new ConfigError(
      `OPERATOR_WALLET_ADDRESS has scale ${wallet.asset.assetScale}, coarser than ASSET_SCALE ${config.assetScale}: TOP_UP_MAX_AMOUNT must be at least ${scale.step}`,
    );
  }
  if (scale.shift < 0 && (scale.toWallet(max) ?? 0n) >= 2n ** 63n) {
    throw new ConfigError(
      `OPERATOR_WALLET_ADDRESS has scale ${wallet.asset.assetScale}, finer than ASSET_SCALE ${config.assetScale}: TOP_UP_MAX_AMOUNT in its units passes 2^63`,
    );
  }
  log.info({ walletAddress: wallet.walletAddress, assetCode: wallet.asset.assetCode, assetScale: wallet.asset.assetScale }, 'top-ups through the operator wallet');
  return { wallet, scale };
}

export interface TopUpDeps extends OperatorWalletConnection {
  app: TemplatedApp;
  config: Config;
  db: Db;
  ledger: Ledger;
  committer: Committer;
  log: Logger;
}

/**
 * Mounts `POST /pay/<pubkey>/top-ups` (creates an incoming payment on the operator's wallet) and
 * `GET /pay/<pubkey>/top-ups/qr.svg?incomingPayment=<url>` (its QR code, for that pubkey's top-ups only), and starts
 * the watcher that credits them. Returns what stops the watcher.
 */
export function mountTopUps(deps: TopUpDeps): { stop(): Promise<void> } {
  const { app, config, db, ledger, committer, log, wallet, scale } = deps;
  const topUps = new TopUps(db, ledger, scale);
  const watcher = new TopUpWatcher({
    topUps,
    read: (url) => wallet.read(url),
    finish: (url) => wallet.finish(url),
    committer,
    pollIntervalMs: config.topUpPollInterval,
    log,
  });
  const onError = (err: unknown) => log.error({ err }, 'top-ups: request failed');
  app.post('/pay/:id/top-ups', route(topUpHandler({ config, topUps, wallet, scale, committer, log }), onError));
  app.options('/pay/:id/top-ups', (res) => respond(res, '204 No Content', 'text/plain', '', OP_CORS_HEADERS));
  app.get('/pay/:id/top-ups/qr.svg', (res, req) => {
    const pubkey = parsePubkey(req.getParameter(0) ?? '');
    const url = new URLSearchParams(req.getQuery() ?? '').get('incomingPayment') ?? '';
    if (!pubkey || !topUps.owns(url, pubkey)) return respondJson(res, '404 Not Found', { error: 'not a top-up of this pubkey' });
    respond(res, '200 OK', 'image/svg+xml', renderSVG(url, { border: 2 }), [['Cache-Control', 'private, max-age=3600']]);
  });
  return { stop: () => watcher.stop() };
}
