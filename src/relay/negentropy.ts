import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { parseFilter } from '../nostr/filter';
import { ItemSetBuilder, MIN_FRAME_SIZE_LIMIT, Responder } from '../nostr/negentropy';
import type { EventStore } from '../storage/events';
import { noticeMessage } from './messages';
import { visibilityOf } from './policies/protected-dms';
import type { Session } from './relay';

/** Largest number of values in one filter array, as for REQ. */
const MAX_FILTER_VALUES = 1000;

/** Bytes of a NEG-MSG besides the hex: `["NEG-MSG",` + the quoted sub id (≤ 256 characters, escaped) + `,"` `"]`. */
const NEG_MSG_OVERHEAD = 16 + 2 + 6 * 256;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BAD_HEX = 'invalid: the negentropy message must be a non-empty hex string';
const decodeHex = (hex: unknown): Uint8Array | undefined =>
  typeof hex === 'string' && HEX.test(hex) ? Buffer.from(hex, 'hex') : undefined;

export const negMsgMessage = (subIdJson: string, hex: string): string => `["NEG-MSG",${subIdJson},"${hex}"]`;
export const negErrMessage = (subId: string, reason: string): string => JSON.stringify(['NEG-ERR', subId, reason]);

/** One open NEG-OPEN session: its responder, how many items it holds, and when it was last used (ms). */
interface OpenSession {
  responder: Responder;
  items: number;
  used: number;
}

export const BUDGET_REFUSAL = 'blocked: too many negentropy items in use, try later';
export const IDLE_CLOSE = 'closed: idle';

/**
 * NIP-77 on the relay: NEG-OPEN reads the (created_at, id) of the events matching the filter and answers as the
 * negentropy responder; NEG-MSG continues; NEG-CLOSE frees the session. Each connection may hold
 * NEGENTROPY_MAX_SESSIONS sessions of at most NEGENTROPY_MAX_EVENTS records (reading 500,000 takes about a second,
 * on the event loop), and all sessions of this relay together at most NEGENTROPY_MAX_ITEMS_TOTAL records (beyond,
 * NEG-OPEN is refused with BUDGET_REFUSAL); a record is released when its session ends: NEG-CLOSE, a NEG-OPEN
 * replacing it, an error, NEGENTROPY_IDLE_SECONDS without a NEG-MSG (NEG-ERR IDLE_CLOSE, found by one timer sweep
 * that runs only while sessions are open), or drop() when the connection closes. Replies are cut to fit
 * MAX_MESSAGE_BYTES once hex-encoded (a frame size limit of about half of it, at least 4096 bytes). A refused or
 * malformed request ends its session with NEG-ERR.
 * With PROTECTED_DMS, the DMs the session is not a party to are left out of its set, as from a REQ.
 */
export class NegentropyHandler {
  /** Open sessions per connection; a connection without any has no entry. */
  private readonly sessions = new Map<Session, Map<string, OpenSession>>();
  private readonly frameSizeLimit: number;
  private readonly idleMs: number;
  /** Records held by all open sessions, against NEGENTROPY_MAX_ITEMS_TOTAL. */
  private held = 0;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly config: Config,
    private readonly store: EventStore,
    private readonly log: Logger,
  ) {
    this.frameSizeLimit = Math.max(MIN_FRAME_SIZE_LIMIT, Math.floor((config.maxMessageBytes - NEG_MSG_OVERHEAD) / 2));
    this.idleMs = config.negentropyIdleSeconds * 1000;
  }

  /** Records held by the open sessions of all connections. */
  get itemsInUse(): number {
    return this.held;
  }

  /** Handles a parsed client message whose type is NEG-OPEN, NEG-MSG or NEG-CLOSE. */
  handle(session: Session, msg: unknown[]): void {
    const subId = msg[1];
    if (typeof subId !== 'string' || subId.length === 0 || subId.length > this.config.maxSubidLength) {
      session.send(noticeMessage(`invalid: ${msg[0]} needs a subscription id of 1 to ${this.config.maxSubidLength} characters`));
      return;
    }
    if (msg[0] === 'NEG-CLOSE') return this.close(session, subId);
    if (msg[0] === 'NEG-OPEN') {
      // NIP-77: a NEG-OPEN for an open id first closes it.
      this.close(session, subId);
      if (msg.length !== 4) return this.fail(session, subId, 'invalid: NEG-OPEN takes a subscription id, a filter and a hex message');
      const message = decodeHex(msg[3]);
      if (!message) return this.fail(session, subId, BAD_HEX);
      const opened = this.openSession(session, subId, msg[2]);
      if (opened) this.answer(session, subId, opened, message);
      return;
    }
    if (msg.length !== 3) return this.fail(session, subId, 'invalid: NEG-MSG takes a subscription id and a hex message');
    const opened = this.sessions.get(session)?.get(subId);
    if (!opened) return this.fail(session, subId, 'closed: no open negentropy session with this id');
    const message = decodeHex(msg[2]);
    if (!message) {
      this.close(session, subId);
      return this.fail(session, subId, BAD_HEX);
    }
    this.answer(session, subId, opened, message);
  }

  /** Ends every session of a connection that closed, releasing its records. */
  drop(session: Session): void {
    const open = this.sessions.get(session);
    if (!open) return;
    for (const s of open.values()) this.held -= s.items;
    this.sessions.delete(session);
    this.stopSweepIfIdle();
  }

  private openSession(session: Session, subId: string, rawFilter: unknown): OpenSession | undefined {
    const parsed = parseFilter(rawFilter, { maxLimit: Number.MAX_SAFE_INTEGER, maxValues: MAX_FILTER_VALUES });
    if (!parsed.ok) return void this.fail(session, subId, `invalid: ${parsed.reason}`);
    if ((this.sessions.get(session)?.size ?? 0) >= this.config.negentropyMaxSessions) {
      return void this.fail(session, subId, `blocked: more than ${this.config.negentropyMaxSessions} open negentropy sessions`);
    }
    const room = this.config.negentropyMaxItemsTotal - this.held;
    if (room <= 0) return void this.fail(session, subId, BUDGET_REFUSAL);
    const max = this.config.negentropyMaxEvents;
    const items = new ItemSetBuilder();
    try {
      // One row more than allowed tells "too many" from "exactly the maximum" (of the session, or of the room left
      // in the relay's budget, whichever is smaller); a smaller filter limit is kept.
      const visibility = this.config.protectedDms ? visibilityOf(session) : undefined;
      const limit = Math.min(parsed.filter.limit ?? Infinity, max + 1, room + 1);
      this.store.scanTimes(parsed.filter, limit, (createdAt, id) => items.add(createdAt, id), undefined, visibility);
    } catch (err) {
      this.log.error({ err }, 'negentropy query failed');
      return void this.fail(session, subId, 'error: could not run the query');
    }
    if (items.size > max) return void this.fail(session, subId, 'blocked: too many events');
    if (items.size > room) return void this.fail(session, subId, BUDGET_REFUSAL);
    const size = items.size; // build() hands the builder's arrays over
    return { responder: new Responder(items.build(), this.frameSizeLimit), items: size, used: Date.now() };
  }

  /** Replies to one message; the session stays open unless the message is malformed. */
  private answer(session: Session, subId: string, opened: OpenSession, message: Uint8Array): void {
    const r = opened.responder.reply(message);
    if (!r.ok) {
      this.close(session, subId);
      return this.fail(session, subId, `invalid: ${r.reason}`);
    }
    opened.used = Date.now();
    let open = this.sessions.get(session);
    if (!open) this.sessions.set(session, (open = new Map()));
    if (!open.has(subId)) {
      open.set(subId, opened);
      this.held += opened.items;
      this.startSweep();
    }
    session.send(negMsgMessage(JSON.stringify(subId), Buffer.from(r.reply).toString('hex')));
  }

  /** Ends one session if open, releasing its records. */
  private close(session: Session, subId: string): void {
    const open = this.sessions.get(session);
    const s = open?.get(subId);
    if (!open || !s) return;
    open.delete(subId);
    this.held -= s.items;
    if (open.size === 0) this.sessions.delete(session);
    this.stopSweepIfIdle();
  }

  /** Closes the sessions without a NEG-MSG for NEGENTROPY_IDLE_SECONDS. */
  private sweep(): void {
    const before = Date.now() - this.idleMs;
    for (const [session, open] of [...this.sessions]) {
      for (const [subId, s] of [...open]) {
        if (s.used > before) continue;
        this.close(session, subId);
        this.fail(session, subId, IDLE_CLOSE);
      }
    }
  }

  /** One timer for all sessions, running only while some are open; it does not keep the process alive. */
  private startSweep(): void {
    if (this.sweeper) return;
    const every = Math.max(100, Math.min(this.idleMs / 4, 15_000));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private stopSweepIfIdle(): void {
    if (this.sessions.size > 0 || !this.sweeper) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private fail(session: Session, subId: string, reason: string): void {
    session.send(negErrMessage(subId, reason));
  }
}
