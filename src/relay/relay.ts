import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { canonicalJson, checkShape, computeId, isHex64, kindClass, serializeForId, type NostrEvent } from '../nostr/event';
import { parseFilter, type Filter } from '../nostr/filter';
import { verifySignature } from '../nostr/verify';
import type { Charge } from '../payments/charge';
import { priceOf, type Prices } from '../payments/pricing';
import type { EventStore } from '../storage/events';
import type { WriteQueue, WriteResult } from '../storage/write-queue';
import { closedMessage, eoseMessage, eventMessage, noticeMessage, okMessage } from './messages';
import { SubscriptionIndex, type Subscriber, type Subscription } from './subscriptions';

/** One NIP-01 session: a WebSocket connection, or a stream of a paid STREAM connection. */
export interface Session extends Subscriber {
  readonly subs: Map<string, Subscription>;
  /** Who pays for events written in this session: a paid STREAM session's pubkey; absent, each event's author. */
  readonly payer?: string;
  /** The Host the client connected to, for the payment pointer in a refusal. */
  readonly host?: string;
}

/** Largest number of values in one filter array; keeps a single REQ's SQL bounded. */
const MAX_FILTER_VALUES = 1000;

export interface RelayCounters {
  eventsReceived: number;
  eventsStored: number;
  eventsRejected: number;
  reqs: number;
  fanout: number;
}

/**
 * The NIP-01 protocol, independent of transport: parse a client message, answer on the session, and fan out
 * stored events to live subscriptions. Hot path: parse → shape → id → signature → group commit → OK → fan-out.
 */
export class Relay {
  readonly subscriptions = new SubscriptionIndex();
  readonly counters: RelayCounters = { eventsReceived: 0, eventsStored: 0, eventsRejected: 0, reqs: 0, fanout: 0 };

  constructor(
    private readonly config: Config,
    private readonly store: EventStore,
    private readonly writer: WriteQueue,
    private readonly prices: Prices,
    private readonly charge: Charge,
    private readonly log: Logger,
  ) {}

  /** Handles one client message (already decoded UTF-8 text). Never throws for bad input. */
  handle(session: Session, text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      session.send(noticeMessage('invalid: message is not valid JSON'));
      return;
    }
    if (!Array.isArray(msg) || typeof msg[0] !== 'string') {
      session.send(noticeMessage('invalid: message must be a JSON array starting with a string'));
      return;
    }
    switch (msg[0]) {
      case 'EVENT':
        return this.onEvent(session, msg);
      case 'REQ':
        return this.onReq(session, msg);
      case 'CLOSE':
        return this.onClose(session, msg);
      default:
        session.send(noticeMessage(`invalid: unknown message type ${JSON.stringify(msg[0]).slice(0, 40)}`));
    }
  }

  /** Forgets a session's subscriptions (connection closed). */
  drop(session: Session): void {
    for (const sub of session.subs.values()) this.subscriptions.remove(sub);
    session.subs.clear();
  }

  private onEvent(session: Session, msg: unknown[]): void {
    this.counters.eventsReceived++;
    const e = msg[1] as NostrEvent;
    if (msg.length !== 2) return this.refuse(session, e, 'invalid: EVENT takes exactly one event');
    const shape = checkShape(e, this.config);
    if (shape) return this.refuse(session, e, `invalid: ${shape}`);
    const now = Math.floor(Date.now() / 1000);
    if (e.created_at > now + this.config.createdAtFuture) {
      return this.refuse(session, e, `invalid: created_at is more than ${this.config.createdAtFuture} seconds in the future`);
    }
    if (this.config.createdAtPast > 0 && e.created_at < now - this.config.createdAtPast) {
      return this.refuse(session, e, `invalid: created_at is more than ${this.config.createdAtPast} seconds in the past`);
    }
    const serialized = serializeForId(e);
    if (computeId(serialized) !== e.id) return this.refuse(session, e, 'invalid: id is not the hash of the event');
    if (!verifySignature(e.id, e.pubkey, e.sig)) return this.refuse(session, e, 'invalid: signature does not verify');

    const raw = canonicalJson(e);
    const payer = session.payer ?? e.pubkey;
    const price = priceOf(this.prices, e.kind, e.pubkey, Buffer.byteLength(serialized));
    if (kindClass(e.kind) === 'ephemeral') {
      const paid = price > 0n ? this.charge(payer, price) : undefined;
      if (paid && !paid.ok) return this.refuse(session, e, this.paymentRequired(session, payer, price, paid.balance));
      session.send(okMessage(e.id, true, ''));
      this.fanOut(e, raw);
      return;
    }
    this.writer.submit(e, raw, payer, price, (result: WriteResult) => {
      switch (result.status) {
        case 'stored':
          this.counters.eventsStored++;
          session.send(okMessage(e.id, true, ''));
          this.fanOut(e, raw);
          return;
        case 'duplicate':
          session.send(okMessage(e.id, true, result.message));
          return;
        case 'unpaid':
          return this.refuse(session, e, this.paymentRequired(session, payer, result.price, result.balance));
        case 'error':
          this.counters.eventsRejected++;
          session.send(okMessage(e.id, false, result.message));
      }
    });
  }

  /** The refusal names the price, the balance and the payment pointer `$host/pay/<payer>` (this peer's SPSP). */
  private paymentRequired(session: Session, payer: string, price: bigint, balance: bigint): string {
    const { assetCode, assetScale, publicUrl } = this.config;
    const host = publicUrl ? new URL(publicUrl).host : session.host;
    const where = host ? `$${host}/pay/${payer}` : `/pay/${payer}`;
    return `restricted: payment required: price ${price}, balance ${balance} (${assetCode}, scale ${assetScale}); pay to ${where}`;
  }

  private refuse(session: Session, e: unknown, reason: string): void {
    this.counters.eventsRejected++;
    const id = (e as { id?: unknown } | null)?.id;
    // OK needs the event id; without a usable one the answer can only be a NOTICE.
    session.send(isHex64(id) ? okMessage(id, false, reason) : noticeMessage(reason));
  }

  private onReq(session: Session, msg: unknown[]): void {
    this.counters.reqs++;
    const subId = msg[1];
    if (typeof subId !== 'string' || subId.length === 0 || subId.length > this.config.maxSubidLength) {
      session.send(noticeMessage(`invalid: subscription id must be a string of 1 to ${this.config.maxSubidLength} characters`));
      return;
    }
    const rawFilters = msg.slice(2);
    if (rawFilters.length === 0) return void session.send(closedMessage(subId, 'invalid: REQ needs at least one filter'));
    if (rawFilters.length > this.config.maxFilters) {
      return void session.send(closedMessage(subId, `invalid: more than ${this.config.maxFilters} filters`));
    }
    const filters: Filter[] = [];
    for (const raw of rawFilters) {
      const r = parseFilter(raw, { maxLimit: this.config.maxLimit, maxValues: MAX_FILTER_VALUES });
      if (!r.ok) return void session.send(closedMessage(subId, `invalid: ${r.reason}`));
      filters.push(r.filter);
    }
    const previous = session.subs.get(subId);
    if (!previous && session.subs.size >= this.config.maxSubscriptions) {
      return void session.send(closedMessage(subId, `restricted: more than ${this.config.maxSubscriptions} open subscriptions`));
    }
    if (previous) this.subscriptions.remove(previous);

    const sub: Subscription = { owner: session, id: subId, idJson: JSON.stringify(subId), filters };
    let stored: string[];
    try {
      stored = this.store.query(filters, this.config.defaultLimit);
    } catch (err) {
      this.log.error({ err }, 'query failed');
      session.subs.delete(subId);
      return void session.send(closedMessage(subId, 'error: could not run the query'));
    }
    for (const raw of stored) session.send(eventMessage(sub.idJson, raw));
    session.send(eoseMessage(sub.idJson));
    session.subs.set(subId, sub);
    this.subscriptions.add(sub);
  }

  private onClose(session: Session, msg: unknown[]): void {
    const subId = msg[1];
    if (typeof subId !== 'string') return void session.send(noticeMessage('invalid: CLOSE needs a subscription id'));
    const sub = session.subs.get(subId);
    if (!sub) return;
    session.subs.delete(subId);
    this.subscriptions.remove(sub);
  }

  private fanOut(e: NostrEvent, raw: string): void {
    for (const sub of this.subscriptions.match(e)) {
      if (sub.owner.send(eventMessage(sub.idJson, raw))) this.counters.fanout++;
    }
  }
}
