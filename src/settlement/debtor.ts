import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { getAddress, zeroAddress, type Address, type Hex } from 'viem';
import type { PeerSettlement } from '../config/peer-settlement';
import type { PeerLinks } from '../connector/peer-links';
import { peerAccount } from '../ledger/account-paths';
import type { Ledger } from '../ledger/ledger';
import type { Committer } from '../storage/committer';
import type { Db } from '../storage/database';
import { ledgerToTokens } from './amounts';
import { scopeOf, type SettlementChain } from './channel-chain';
import type { ChannelRow, ChannelStore } from './channel-store';
import { channelIdOf, signVoucher } from './contract';
import type { SettlementRecorder } from './record-settlement';
import { encodeSettlementMessage, SETTLEMENT_PROTOCOL } from './settlement-messages';
import { chainError } from './chain-error';

/** How long a peer has to answer a settlement message. */
export const SETTLEMENT_MESSAGE_TIMEOUT_MS = 10_000;

export interface DebtorParts {
  db: Db;
  store: ChannelStore;
  ledger: Ledger;
  recorder: SettlementRecorder;
  committer: Committer;
  links: PeerLinks;
  assetScale: number;
  log: Logger;
  now: () => number;
  /** Tests only: runs after a voucher is stored and before it is sent (a crash there must lose nothing). */
  beforeSend?: (peer: string) => Promise<void>;
}

/**
 * The debtor's side (Dassie's "the debtor settles proactively"): when what we owe a peer passes its threshold, we
 * sign a larger cumulative voucher on our channel to it, store it with the ledger transfer that pays the peer in
 * one transaction BEFORE sending it (a signed voucher cannot be recalled), then send it over the peer's BTP link.
 * Vouchers the peer has not confirmed are sent again on reconnect and on every tick: they are cumulative, so a
 * repeat is harmless. The channel is opened on first need and topped up when its deposit runs low.
 */
export class Debtor {
  private readonly busy = new Set<string>();

  constructor(private readonly p: DebtorParts) {}

  /** What we owe the peer (credits − debits posted of its account; ≤ 0: nothing). */
  owed(peer: string): bigint {
    const b = this.p.ledger.balance(peerAccount(peer));
    return b ? b.creditsPosted - b.debitsPosted : 0n;
  }

  /** Settles with the peer if we owe it more than its threshold; resends an unconfirmed voucher otherwise. */
  async settleIfDue(peer: string, s: PeerSettlement, c: SettlementChain): Promise<void> {
    if (this.busy.has(peer)) return;
    this.busy.add(peer);
    try {
      let channel = this.p.store.current(peer, c.name, 'outgoing');
      if (channel && channel.best > channel.acked) await this.send(channel, c);
      const owed = this.owed(peer);
      if (owed <= s.threshold) return;
      const { tokens, worth } = ledgerToTokens(owed - s.settleTo, this.p.assetScale, c.tokenScale);
      if (tokens === 0n || !this.p.links.get(peer)) return;
      const depositTokens = ledgerToTokens(s.deposit, this.p.assetScale, c.tokenScale).tokens;
      if (!channel || channel.closeRequestedAt > 0) channel = await this.openChannel(peer, c, tokens > depositTokens ? tokens : depositTokens);
      if (!channel) return;
      if (channel.best + tokens > channel.deposit) {
        const short = channel.best + tokens - channel.deposit;
        channel = await this.topUp(channel, c, short > depositTokens ? short : depositTokens);
      }
      const cumulative = channel.best + tokens;
      const signature = await signVoucher(c.account, { ...scopeOf(c), channelId: channel.channelId, cumulativeAmount: cumulative });
      const written = this.p.committer.run(() => this.storeVoucher(channel!, c, cumulative, signature, worth));
      if (!written.value) return;
      if (!(await written.durable)) return this.p.log.error({ peer }, 'a voucher was not stored; not sending it');
      await this.p.beforeSend?.(peer);
      await this.send(this.p.store.get(channel.channelId)!, c);
      // less than one more settlement left in the deposit: top it up now, not when the next voucher is due
      const thresholdTokens = ledgerToTokens(s.threshold, this.p.assetScale, c.tokenScale).tokens;
      if (channel.deposit - cumulative < thresholdTokens) await this.topUp(channel, c, depositTokens);
    } catch (err) {
      this.p.log.error({ ...chainError(err), peer, chain: c.name }, 'settling with a peer failed; retrying later');
    } finally {
      this.busy.delete(peer);
    }
  }

  /** In the caller's transaction: the voucher becomes the channel's best, and the ledger pays the peer its worth. */
  private storeVoucher(channel: ChannelRow, c: SettlementChain, cumulative: bigint, signature: Hex, worth: bigint): boolean {
    return this.p.db.transaction(() => {
      // what we owe may have shrunk while the channel was opened and the voucher signed: never pay more than that
      if (this.owed(channel.peer) < worth) return false;
      // nor on a channel that closed, or began to, or took another voucher meanwhile (a round refreshes channels
      // while this one waited): its reversal has run, and this payment would never be taken back
      const now = this.p.store.get(channel.channelId);
      if (!now || now.finalized || now.closeRequestedAt > 0 || now.best !== channel.best) return false;
      const r = this.p.recorder.record({ peer: channel.peer, direction: 'paid', amount: worth, method: c.name, reference: `${channel.channelId}:${cumulative}` });
      if (!r.ok) {
        this.p.log.error({ peer: channel.peer, reason: r.reason }, 'could not record a voucher; not signing it over');
        return false;
      }
      this.p.store.setBest(channel.channelId, cumulative, signature);
      return true;
    })();
  }

  /** Sends the channel's best voucher; records it as confirmed when the peer holds it. */
  async send(channel: ChannelRow, c: SettlementChain): Promise<void> {
    const link = this.p.links.get(channel.peer);
    if (!link?.request || !channel.bestSignature) return;
    const message = encodeSettlementMessage({
      type: 'voucher',
      chain: c.name,
      channelId: channel.channelId,
      payer: channel.payer,
      token: channel.token,
      salt: channel.salt,
      authorizedSigner: channel.authorizedSigner,
      cumulativeAmount: channel.best,
      signature: channel.bestSignature,
    });
    const reply = await link.request(SETTLEMENT_PROTOCOL, message, SETTLEMENT_MESSAGE_TIMEOUT_MS);
    if (reply === 'timeout' || reply === 'closed') return;
    if (!reply.ok) {
      this.p.log.warn({ peer: channel.peer, code: reply.code, message: reply.message }, 'the peer did not accept our voucher; resending later');
      return;
    }
    const held = BigInt((JSON.parse(Buffer.from(reply.data).toString('utf8')) as { accepted: string }).accepted);
    if (held > channel.acked) this.p.committer.run(() => this.p.store.setAcked(channel.channelId, held > channel.best ? channel.best : held));
  }

  private async openChannel(peer: string, c: SettlementChain, deposit: bigint): Promise<ChannelRow | undefined> {
    const payee = await this.payeeOf(peer, c);
    if (!payee) return undefined;
    const salt = `0x${randomBytes(32).toString('hex')}` as Hex;
    const expected = channelIdOf({ payer: c.account.address, payee, token: c.token, salt, authorizedSigner: zeroAddress }, scopeOf(c));
    const tx = await c.chain.open(payee, c.token, deposit, salt, zeroAddress);
    if (tx.channelId.toLowerCase() !== expected) throw new Error(`the contract opened channel ${tx.channelId}, expected ${expected}`);
    const state = await c.chain.getChannel(expected);
    const now = this.p.now();
    this.p.committer.run(() => {
      this.p.store.insert({ channelId: expected, chain: c.name, peer, direction: 'outgoing', payer: c.account.address, payee, token: c.token, salt, authorizedSigner: zeroAddress }, state, now);
      this.p.store.setTx(expected, tx, now);
    });
    this.p.log.info({ peer, chain: c.name, channel: expected, deposit: String(deposit), tx: tx.hash }, 'opened a channel to a peer');
    return this.p.store.get(expected);
  }

  private async topUp(channel: ChannelRow, c: SettlementChain, amount: bigint): Promise<ChannelRow> {
    const tx = await c.chain.topUp(channel.channelId, amount, channel.token, channel.authorizedSigner, channel.salt);
    const state = await c.chain.getChannel(channel.channelId);
    const now = this.p.now();
    this.p.committer.run(() => {
      this.p.store.setOnChain(channel.channelId, state, now);
      this.p.store.setTx(channel.channelId, tx, now);
    });
    this.p.log.info({ peer: channel.peer, chain: c.name, channel: channel.channelId, deposit: String(state.deposit), tx: tx.hash }, 'topped up a channel');
    return this.p.store.get(channel.channelId)!;
  }

  /** The peer's address on the chain, asked over BTP. */
  private async payeeOf(peer: string, c: SettlementChain): Promise<Address | undefined> {
    const link = this.p.links.get(peer);
    if (!link?.request) return undefined;
    const reply = await link.request(SETTLEMENT_PROTOCOL, encodeSettlementMessage({ type: 'paymentDetails', chain: c.name }), SETTLEMENT_MESSAGE_TIMEOUT_MS);
    if (reply === 'timeout' || reply === 'closed') return undefined;
    if (!reply.ok) {
      this.p.log.warn({ peer, chain: c.name, message: reply.message }, 'the peer gave no address to pay');
      return undefined;
    }
    const { address } = JSON.parse(Buffer.from(reply.data).toString('utf8')) as { address?: unknown };
    if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error(`peer ${peer} answered an invalid address`);
    return getAddress(address);
  }
}
