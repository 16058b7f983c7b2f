import { Gauge, type Registry } from 'prom-client';
import type { SettlementChain } from './channel-chain';
import type { ChannelStore } from './channel-store';

/** One open channel as the dashboard and metrics show it; token amounts in the token's smallest unit, as strings. */
export interface ChannelSummary {
  peer: string;
  chain: string;
  /** outgoing: we pay the peer; incoming: the peer pays us. */
  direction: 'outgoing' | 'incoming';
  channelId: string;
  deposit: string;
  /** The best voucher: the highest we signed (outgoing) or hold (incoming). */
  bestVoucher: string;
  /** Taken on chain by the payee. */
  redeemed: string;
  unredeemed: string;
  /** Outgoing: the highest voucher the peer confirmed holding. */
  confirmed: string | null;
  lastTx: string | null;
  lastTxAt: string | null;
  /** Seconds until the payer may withdraw, when a close was requested (by the wall clock); null otherwise. */
  closeSecondsLeft: number | null;
  /** Incoming, closing, with vouchers unredeemed and less than the safety margin left: redeem by hand now. */
  alert: boolean;
}

/** Read-only view of the channels for /dashboard and /metrics. */
export class SettlementView {
  constructor(
    private readonly store: ChannelStore,
    private readonly chains: ReadonlyMap<string, SettlementChain>,
    private readonly now: () => number = Date.now,
  ) {}

  channels(): ChannelSummary[] {
    const nowS = BigInt(Math.floor(this.now() / 1000));
    return this.store.unfinalized().map((r) => {
      const grace = this.chains.get(r.chain)?.chain.closeGracePeriod ?? 0n;
      const left = r.closeRequestedAt > 0 ? BigInt(r.closeRequestedAt) + grace - nowS : null;
      const unredeemed = r.best > r.settled ? r.best - r.settled : 0n;
      return {
        peer: r.peer,
        chain: r.chain,
        direction: r.direction,
        channelId: r.channelId,
        deposit: String(r.deposit),
        bestVoucher: String(r.best),
        redeemed: String(r.settled),
        unredeemed: String(unredeemed),
        confirmed: r.direction === 'outgoing' ? String(r.acked) : null,
        lastTx: r.lastTx,
        lastTxAt: r.lastTxAt === null ? null : new Date(r.lastTxAt).toISOString(),
        closeSecondsLeft: left === null ? null : Number(left > 0n ? left : 0n),
        alert: r.direction === 'incoming' && left !== null && unredeemed > 0n && left < grace / 2n,
      };
    });
  }
}

/**
 * settlement_* gauges per peer, chain and direction (token units). A peering can have two channels at once (one
 * closing, its successor open): amounts are summed, the close time left is the shortest, the alert is any.
 */
export function settlementGauges(registers: Registry[], view: SettlementView): void {
  const labelNames = ['peer', 'chain', 'direction'] as const;
  const each = (name: string, help: string, value: (c: ChannelSummary) => number | null, combine: (a: number, b: number) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        const by = new Map<string, { labels: { peer: string; chain: string; direction: string }; v: number }>();
        for (const c of view.channels()) {
          const v = value(c);
          if (v === null) continue;
          const key = `${c.peer}\u0000${c.chain}\u0000${c.direction}`;
          const had = by.get(key);
          by.set(key, { labels: { peer: c.peer, chain: c.chain, direction: c.direction }, v: had ? combine(had.v, v) : v });
        }
        for (const { labels, v } of by.values()) this.set(labels, v);
      },
    });
  const sum = (a: number, b: number) => a + b;
  each('settlement_channel_deposit', 'Deposit of the open channels with each peer, in token units.', (c) => Number(c.deposit), sum);
  each('settlement_voucher_best', 'Best vouchers of the channels (signed when outgoing, held when incoming), in token units.', (c) => Number(c.bestVoucher), sum);
  each('settlement_redeemed', 'Taken on chain from the channels by their payee, in token units.', (c) => Number(c.redeemed), sum);
  each('settlement_unredeemed', 'Best vouchers minus redeemed, in token units.', (c) => Number(c.unredeemed), sum);
  each('settlement_close_seconds_left', 'Seconds left in a requested close before the payer may withdraw (absent: none requested).', (c) => c.closeSecondsLeft, Math.min);
  each('settlement_close_alert', '1 when a closing incoming channel has vouchers unredeemed and less than the safety margin left.', (c) => (c.alert ? 1 : 0), Math.max);
}
