import type { Logger } from 'pino';
import { isAddressEqual as sameAddress, zeroAddress, type Hex } from 'viem';
import type { PeerSettlement } from '../config/peer-settlement';
import type { SubProtocolReply } from '../connector/peer-links';
import type { Committer } from '../storage/committer';
import type { Db } from '../storage/database';
import { ledgerToTokens, tokensToLedger } from './amounts';
import { scopeOf, type OnChainChannel, type SettlementChain } from './channel-chain';
import type { ChannelRow, ChannelStore } from './channel-store';
import { channelIdOf, recoverVoucherSigner, voucherSigner } from './contract';
import type { SettlementRecorder } from './record-settlement';
import type { VoucherMessage } from './settlement-messages';
import { chainError } from './chain-error';

/** How long a read of a channel's on-chain state is trusted for a voucher within its deposit. */
export const CHANNEL_CACHE_MS = 30_000;

export interface CreditorParts {
  db: Db;
  store: ChannelStore;
  recorder: SettlementRecorder;
  committer: Committer;
  assetScale: number;
  log: Logger;
  now: () => number;
}

const refuse = (message: string): SubProtocolReply => ({ ok: false, code: 'F01', message });
const later = (message: string): SubProtocolReply => ({ ok: false, code: 'T00', message });
const ENCODER = new TextEncoder();

/**
 * The creditor's side of a channel: a peer pays us with vouchers on its channel. A voucher is checked against the
 * channel's on-chain state (payee is us, token, signer, above the best we hold, within the deposit, not closing
 * within the safety margin), then stored with the ledger credit of its increase in one transaction, and redeemed on
 * chain when enough is unredeemed, or at once when the payer asked to close.
 */
export class Creditor {
  /** Channels being redeemed: one transaction per channel at a time. */
  private readonly redeeming = new Set<string>();
  /**
   * The last confirmed read of each channel a voucher was checked against, and when. Only this is trusted for the
   * deposit without a new read: the channel's row is also written from the latest (unconfirmed) state, by the
   * redeem check and the engine's refresh, and a deposit there may still be taken back by a reorg.
   */
  private readonly confirmed = new Map<string, { state: OnChainChannel; at: number }>();
  /** A savepoint: a voucher whose credit fails is undone alone, not with the rest of the committer's turn. */
  private readonly creditTx: (peer: string, c: SettlementChain, v: VoucherMessage, state: OnChainChannel, now: number) => bigint;

  constructor(private readonly p: CreditorParts) {
    this.creditTx = p.db.transaction((peer, c, v, state, now) => this.credit(peer, c, v, state, now));
  }

  /** Refuse vouchers on a channel whose close ends within this many seconds: there may be no time left to redeem. */
  static safetyMargin(c: SettlementChain): bigint {
    return c.chain.closeGracePeriod / 2n;
  }

  async accept(peer: string, settlement: PeerSettlement, c: SettlementChain, v: VoucherMessage): Promise<SubProtocolReply> {
    const { store } = this.p;
    const us = c.account.address;
    if (!sameAddress(v.token, c.token)) return refuse(`the channel's token is not ${c.token}`);
    const id = channelIdOf({ payer: v.payer, payee: us, token: v.token, salt: v.salt, authorizedSigner: v.authorizedSigner }, scopeOf(c));
    if (id !== v.channelId) return refuse('the channel id does not match a channel from the payer to us in this token');
    let row = store.get(id);
    if (row && (row.peer !== peer || row.direction !== 'incoming')) return refuse('the channel belongs to another peering');
    if (row && v.cumulativeAmount <= row.best) return accepted(row.best);
    const signer = recoverVoucherSigner({ ...scopeOf(c), channelId: v.channelId, cumulativeAmount: v.cumulativeAmount }, v.signature);
    if (!signer || !sameAddress(signer, voucherSigner(v))) return refuse('the voucher is not signed by the channel payer');
    const known = this.confirmed.get(id);
    let state: OnChainChannel | undefined =
      row && !row.finalized && known && this.p.now() - known.at < CHANNEL_CACHE_MS && v.cumulativeAmount <= known.state.deposit ? cached(known.state, row) : undefined;
    if (!state) {
      try {
        state = await (c.chain.getConfirmedChannel ?? c.chain.getChannel).call(c.chain, id);
      } catch (err) {
        this.p.log.warn({ ...chainError(err), peer, channel: id }, 'could not read a channel');
        return later('cannot read the channel on chain now; try again later');
      }
      this.confirmed.set(id, { state, at: this.p.now() });
    }
    if (sameAddress(state.payer, zeroAddress)) return later('the channel is not on chain (or not yet confirmed)');
    if (!sameAddress(state.payer, v.payer) || !sameAddress(state.payee, us)) return refuse('the channel is not from the payer to us');
    if (state.finalized) return refuse('the channel is closed');
    if (v.cumulativeAmount > state.deposit) {
      // a topUp may be mined but not yet confirmed: the payer's voucher is fine, only early
      if (c.chain.getConfirmedChannel && (await this.latestDeposit(c, id)) >= v.cumulativeAmount) {
        return later(`the channel's deposit above ${state.deposit} is not yet confirmed; try again later`);
      }
      return refuse(`the voucher is above the channel's deposit of ${state.deposit}`);
    }
    if (state.closeRequestedAt > 0n) {
      const left = state.closeRequestedAt + c.chain.closeGracePeriod - (await c.chain.now());
      if (left < Creditor.safetyMargin(c)) return refuse('the channel is closing');
    }
    const now = this.p.now();
    let written;
    try {
      written = this.p.committer.run(() => {
        try {
          return this.creditTx(peer, c, v, state, now);
        } catch (err) {
          this.p.log.error({ err, peer }, 'could not credit a voucher');
          return 'could not credit the voucher';
        }
      });
    } catch (err) {
      this.p.log.error({ err, peer }, 'could not store a voucher');
      return later('could not store the voucher');
    }
    if (typeof written.value === 'string') return later(written.value);
    if (!(await written.durable)) return later('could not store the voucher');
    row = store.get(id)!;
    void this.redeemIfDue(row, settlement, c);
    return accepted(written.value);
  }

  /** The deposit at the latest block (0 when it cannot be read: the voucher is then refused as above the confirmed one). */
  private async latestDeposit(c: SettlementChain, id: Hex): Promise<bigint> {
    try {
      return (await c.chain.getChannel(id)).deposit;
    } catch {
      return 0n;
    }
  }

  /** In the caller's transaction: store the voucher and credit its increase (and the leftover). Returns the best held, or why not. */
  private credit(peer: string, c: SettlementChain, v: VoucherMessage, state: OnChainChannel, now: number): bigint {
    const { store } = this.p;
    let row = store.get(v.channelId);
    if (!row) {
      store.insert({ channelId: v.channelId, chain: c.name, peer, direction: 'incoming', payer: v.payer, payee: c.account.address, token: v.token, salt: v.salt, authorizedSigner: v.authorizedSigner }, state, now);
      row = store.get(v.channelId)!;
    } else {
      // a channel we saw close stays closed: its unredeemed vouchers were reversed, so a later one must not count
      if (row.finalized) return row.best;
      store.setOnChain(v.channelId, state, now);
    }
    // another voucher of this channel may have been accepted while this one waited for the chain
    if (v.cumulativeAmount <= row.best) return row.best;
    const { ledger, leftover } = tokensToLedger(v.cumulativeAmount - row.best, store.leftover(peer, c.name), this.p.assetScale, c.tokenScale);
    store.setBest(v.channelId, v.cumulativeAmount, v.signature);
    store.setLeftover(peer, c.name, leftover);
    if (ledger > 0n) {
      const r = this.p.recorder.record({ peer, direction: 'received', amount: ledger, method: c.name, reference: `${v.channelId}:${v.cumulativeAmount}` });
      // thrown, so the savepoint undoes the voucher's row with it
      if (!r.ok) throw new Error(`settlement: crediting a voucher failed: ${r.reason}`);
    }
    return v.cumulativeAmount;
  }

  /**
   * Redeems on chain when the payer asked to close (at once: `close`) or when what is unredeemed passes the
   * peer's redeemThreshold (`settle`). Reads the channel first: a redeem that happened before a crash shows as
   * `settled` on chain and is not repeated; the ledger is not touched (the voucher was credited when accepted).
   */
  async redeemIfDue(row: ChannelRow, settlement: PeerSettlement, c: SettlementChain): Promise<void> {
    if (this.redeeming.has(row.channelId) || row.direction !== 'incoming' || !row.bestSignature) return;
    this.redeeming.add(row.channelId);
    try {
      const state = await c.chain.getChannel(row.channelId);
      this.p.committer.run(() => this.p.store.setOnChain(row.channelId, state, this.p.now()));
      if (state.finalized || row.best <= state.settled) return;
      const threshold = ledgerToTokens(settlement.redeemThreshold, this.p.assetScale, c.tokenScale).tokens;
      const closing = state.closeRequestedAt > 0n;
      if (!closing && row.best - state.settled < (threshold > 0n ? threshold : 1n)) return;
      const call = closing ? c.chain.close.bind(c.chain) : c.chain.settle.bind(c.chain);
      const tx = await call(row.channelId, row.best, row.bestSignature, row.token, row.authorizedSigner, row.salt);
      const after = await c.chain.getChannel(row.channelId);
      this.p.committer.run(() => {
        this.p.store.setOnChain(row.channelId, after, this.p.now());
        this.p.store.setTx(row.channelId, tx, this.p.now());
      });
      this.p.log.info({ peer: row.peer, chain: c.name, channel: row.channelId, redeemed: String(after.settled), tx: tx.hash, closed: closing }, 'redeemed a voucher');
    } catch (err) {
      this.p.log.error({ ...chainError(err), peer: row.peer, chain: c.name, channel: row.channelId }, 'redeeming a voucher failed; retrying later');
    } finally {
      this.redeeming.delete(row.channelId);
    }
  }
}

/**
 * The confirmed read for the deposit, and the row (refreshed from the latest state) where it is the more careful:
 * a close requested since, or a settled amount that grew.
 */
const cached = (confirmed: OnChainChannel, r: ChannelRow): OnChainChannel => ({
  payer: confirmed.payer,
  payee: confirmed.payee,
  deposit: confirmed.deposit,
  settled: r.settled > confirmed.settled ? r.settled : confirmed.settled,
  closeRequestedAt: r.closeRequestedAt > 0 ? BigInt(r.closeRequestedAt) : confirmed.closeRequestedAt,
  finalized: r.finalized || confirmed.finalized,
});

const accepted = (best: bigint): SubProtocolReply => ({ ok: true, data: ENCODER.encode(JSON.stringify({ accepted: String(best) })) });
