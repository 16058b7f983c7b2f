import type { Logger } from 'pino';
import type { Config } from '../../config/load';
import { parsePubkey } from '../../payments/npub';
import type { Committer } from '../../storage/committer';
import { json, type OpHandler } from '../http';
import type { ScaleConversion } from './scale';
import type { TopUps } from './top-ups';
import type { OperatorWallet } from './wallet';
import { describe } from './wallet';

/** Top-ups one pubkey may have waiting to be paid. */
export const MAX_OPEN_PER_PUBKEY = 5;
const AMOUNT = /^[1-9]\d{0,18}$/;

export interface TopUpRouteDeps {
  config: Config;
  topUps: TopUps;
  wallet: OperatorWallet;
  scale: ScaleConversion;
  committer: Committer;
  log: Logger;
}

const invalid = (what: string) => json('400 Bad Request', { error: `invalid: ${what}` });

/**
 * `POST /pay/<pubkey>/top-ups` with `{"amount":"<integer>"}` (our smallest unit): creates an incoming payment for
 * that amount on the operator's wallet, open for TOP_UP_EXPIRY seconds, and records it to be watched and credited.
 * Answers 201 `{incomingPayment, amount, expiresAt}` (amount in the wallet's asset: what the payer sends).
 */
export function topUpHandler(deps: TopUpRouteDeps): OpHandler {
  const { config, topUps, wallet, scale, committer, log } = deps;
  /** Creations under way (between the bound check and the insert), per pubkey and in all. */
  const creating = new Map<string, number>();
  let creatingTotal = 0;
  const min = scale.step;
  return async (req) => {
    const pubkey = parsePubkey(req.param);
    if (!pubkey) return json('404 Not Found', { error: 'not a pubkey' });
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return invalid('the body must be JSON {"amount":"<integer>"}');
    }
    const raw = (body as { amount?: unknown } | null)?.amount;
    if (typeof raw !== 'string' || !AMOUNT.test(raw)) return invalid('amount must be a string of a positive integer, such as "1000"');
    const amount = BigInt(raw);
    if (amount < min || amount > config.topUpMaxAmount) return invalid(`amount must be from ${min} to ${config.topUpMaxAmount}`);
    const walletUnits = scale.toWallet(amount);
    if (walletUnits === undefined) return invalid(`amount must be a multiple of ${min} (the operator wallet's smallest unit)`);
    const mine = creating.get(pubkey) ?? 0;
    if (topUps.openFor(pubkey) + mine >= MAX_OPEN_PER_PUBKEY) {
      return json('429 Too Many Requests', { error: `rate-limited: this pubkey has ${MAX_OPEN_PER_PUBKEY} top-ups waiting to be paid` });
    }
    if (topUps.open() + creatingTotal >= config.topUpMaxOpen) {
      return json('429 Too Many Requests', { error: 'rate-limited: too many top-ups are waiting to be paid; try again later' });
    }
    creating.set(pubkey, mine + 1);
    creatingTotal++;
    try {
      const now = Date.now();
      const ask = new Date(now + config.topUpExpiry * 1000);
      let created;
      try {
        created = await wallet.createIncomingPayment(pubkey, walletUnits, ask);
      } catch (err) {
        log.warn({ pubkey, reason: describe(err) }, 'top-ups: the operator wallet did not create an incoming payment');
        return json('502 Bad Gateway', { error: "the operator's wallet did not create the incoming payment; try again later" });
      }
      const expiresAt = created.expiresAt.getTime();
      const firstRead = Math.min(now + config.topUpPollInterval, expiresAt);
      const w = committer.run(() => topUps.add(created.url, pubkey, walletUnits, now, expiresAt, firstRead));
      if (!(await w.durable)) throw new Error('top-ups: the new top-up did not reach the disk');
      return json('201 Created', {
        incomingPayment: created.url,
        amount: { value: walletUnits.toString(), ...wallet.asset },
        expiresAt: created.expiresAt.toISOString(),
      });
    } finally {
      const left = (creating.get(pubkey) ?? 1) - 1;
      if (left > 0) creating.set(pubkey, left);
      else creating.delete(pubkey);
      creatingTotal--;
    }
  };
}
