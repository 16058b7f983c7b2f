import type { Logger } from 'pino';
import { ConfigError } from '../config/schema';
import type { PeerLink as PeerConfig } from '../config/schema';
import type { PeerSettlement } from '../config/peer-settlement';
import type { PeerLinks, SubProtocolHandler, SubProtocolReply } from '../connector/peer-links';
import type { Ledger } from '../ledger/ledger';
import type { Committer } from '../storage/committer';
import type { Db } from '../storage/database';
import type { SettlementChain } from './channel-chain';
import { tokensToLedger } from './amounts';
import type { OnChainChannel } from './channel-chain';
import { ChannelStore, type ChannelRow } from './channel-store';
import { Creditor } from './creditor';
import { Debtor } from './debtor';
import type { SettlementRecorder } from './record-settlement';
import { decodeSettlementMessage } from './settlement-messages';
import { SettlementView } from './settlement-view';
import { chainError } from './chain-error';

/** Dassie settles at most every few seconds per peer; so do we (and watch channels as often). */
export const SETTLEMENT_TICK_MS = 4000;

export interface SettlementParts {
  db: Db;
  ledger: Ledger;
  recorder: SettlementRecorder;
  committer: Committer;
  links: PeerLinks;
  peers: readonly PeerConfig[];
  chains: readonly SettlementChain[];
  assetScale: number;
  log: Logger;
  tickMs?: number;
  now?: () => number;
  /** Tests only: see DebtorParts.beforeSend. */
  beforeSend?: (peer: string) => Promise<void>;
}

const ENCODER = new TextEncoder();
const REDEEM_ALL: PeerSettlement = { chain: '', threshold: 1n, settleTo: 0n, deposit: 1n, redeemThreshold: 0n };

/** Throws a one-line ConfigError when a peer settles on a chain that is not configured. */
export function checkSettlementChains(peers: readonly PeerConfig[], chains: readonly { name: string }[]): void {
  for (const peer of peers) {
    if (!peer.settlement || chains.some((c) => c.name === peer.settlement!.chain)) continue;
    const env = `SETTLEMENT_${peer.settlement.chain.toUpperCase()}_RPC_URL`;
    throw new ConfigError(`ILP_PEERS peer "${peer.id}" settles on chain "${peer.settlement.chain}", which is not configured (${env} and its block)`);
  }
}

/**
 * Settling with peers on chains: the debtor and creditor sides, the `settlement` BTP sub-protocol, and a tick
 * that settles what is due, resends unconfirmed vouchers and watches channels (a payer's close request is
 * redeemed at once, also after a restart). Started by the composition root; one per peer process.
 */
export class SettlementEngine {
  readonly store: ChannelStore;
  readonly creditor: Creditor;
  readonly debtor: Debtor;
  readonly view: SettlementView;
  private readonly chains = new Map<string, SettlementChain>();
  private readonly settled = new Map<string, { s: PeerSettlement; c: SettlementChain }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** One voucher of a peer is verified at a time: a peer cannot make us queue signature checks. */
  private readonly verifying = new Set<string>();

  constructor(private readonly p: SettlementParts) {
    checkSettlementChains(p.peers, p.chains);
    for (const c of p.chains) this.chains.set(c.name, c);
    for (const peer of p.peers) if (peer.settlement) this.settled.set(peer.id, { s: peer.settlement, c: this.chains.get(peer.settlement.chain)! });
    const now = p.now ?? Date.now;
    this.store = new ChannelStore(p.db);
    this.creditor = new Creditor({ db: p.db, store: this.store, recorder: p.recorder, committer: p.committer, assetScale: p.assetScale, log: p.log, now });
    this.debtor = new Debtor({ ...p, store: this.store, now });
    this.view = new SettlementView(this.store, this.chains, now);
    this.store.onFinalized = (row, state) => this.reverseUnredeemed(row, state);
  }

  /**
   * A channel closed with vouchers above what its payee redeemed (the payer withdrew after the grace period, or a
   * voucher was signed on a channel the payee had just closed): those vouchers were booked as paid but never
   * became money, so the debt comes back, on both sides. Outgoing: we owe the peer again; incoming: it owes us again.
   */
  private reverseUnredeemed(row: ChannelRow, state: OnChainChannel): void {
    if (row.best <= state.settled) return;
    const c = this.chains.get(row.chain);
    if (!c) return;
    const amount = tokensToLedger(row.best - state.settled, 0n, this.p.assetScale, c.tokenScale).ledger;
    if (amount === 0n) return;
    const r = this.p.recorder.record({
      peer: row.peer,
      direction: row.direction === 'outgoing' ? 'received' : 'paid',
      amount,
      method: row.chain,
      reference: `${row.channelId}: closed with ${row.best - state.settled} unredeemed, reversed`,
    });
    if (r.ok) this.p.log.warn({ peer: row.peer, chain: row.chain, channel: row.channelId, amount: String(amount), direction: row.direction }, 'a channel closed with vouchers unredeemed; their settlement is reversed');
    else this.p.log.error({ peer: row.peer, channel: row.channelId, amount: String(amount), reason: r.reason }, 'could not reverse the unredeemed vouchers of a closed channel; record it by hand');
  }

  /** The `settlement` sub-protocol handler for the BTP server. */
  readonly handler: SubProtocolHandler = async (peer, data) => {
    const m = decodeSettlementMessage(data);
    if (typeof m === 'string') return { ok: false, code: 'F01', message: m };
    const chain = this.chains.get(m.chain);
    if (!chain) return { ok: false, code: 'F01', message: `no settlement on chain "${m.chain}" here` };
    if (m.type === 'paymentDetails') return { ok: true, data: ENCODER.encode(JSON.stringify({ address: chain.account.address })) };
    const peering = this.settled.get(peer);
    if (!peering || peering.c.name !== m.chain) return { ok: false, code: 'F01', message: `no settlement with this peer on chain "${m.chain}"` };
    if (this.verifying.has(peer)) return { ok: false, code: 'T00', message: 'one voucher at a time' } satisfies SubProtocolReply;
    this.verifying.add(peer);
    try {
      return await this.creditor.accept(peer, peering.s, peering.c, m);
    } finally {
      this.verifying.delete(peer);
    }
  };

  /** Starts the tick; a reconnecting peer gets its latest voucher (and what is due) at once. */
  start(): void {
    this.p.links.onAdd = (peer) => {
      const peering = this.settled.get(peer);
      // next turn: the link is added before the peer has the answer to its auth, which must come first
      if (peering) setImmediate(() => void this.debtor.settleIfDue(peer, peering.s, peering.c));
    };
    this.timer = setInterval(() => void this.tick(), this.p.tickMs ?? SETTLEMENT_TICK_MS);
    this.timer.unref();
    void this.tick();
  }

  /** One round: settle what we owe, redeem what is due (close requests first), refresh what we watch. */
  tick(): Promise<void> {
    return (this.running ??= this.round().finally(() => (this.running = undefined)));
  }

  private async round(): Promise<void> {
    for (const row of this.store.unfinalized()) {
      const peering = this.settled.get(row.peer);
      const c = this.chains.get(row.chain);
      if (!c) continue;
      // a peering no longer configured still has its vouchers redeemed, all of them at once
      if (row.direction === 'incoming') await this.creditor.redeemIfDue(row, peering?.s ?? REDEEM_ALL, c);
      else if (row.direction === 'outgoing') await this.refresh(row.channelId, c);
    }
    for (const [peer, { s, c }] of this.settled) await this.debtor.settleIfDue(peer, s, c);
  }

  private async refresh(channelId: `0x${string}`, c: SettlementChain): Promise<void> {
    try {
      const state = await c.chain.getChannel(channelId);
      this.p.committer.run(() => this.store.setOnChain(channelId, state, (this.p.now ?? Date.now)()));
    } catch (err) {
      this.p.log.warn({ ...chainError(err), chain: c.name, channel: channelId }, 'could not read a channel');
    }
  }

  /** No new rounds; waits up to `timeoutMs` for the one under way (a chain call may take longer: it is retried at the next start). */
  async stop(timeoutMs = 2000): Promise<void> {
    clearInterval(this.timer);
    this.p.links.onAdd = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
