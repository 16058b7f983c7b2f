import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { parseFilter } from '../nostr/filter';
import { ItemSet, MIN_FRAME_SIZE_LIMIT, Responder } from '../nostr/negentropy';
import { ReadRefused, ReadTimedOut, type ReadPool, type ReadTicket } from '../storage/read-pool';
import { noticeMessage } from './messages';
import { visibilityOf } from './policies/protected-dms';
import type { Session } from './session';

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

/** A NEG-OPEN whose records are being read: the items it reserved of the budgets, and its read to cancel. */
interface Opening {
  reserved: number;
  ticket: ReadTicket<unknown>;
}

export const BUDGET_REFUSAL = 'blocked: too many negentropy items in use, try later';
export const IDLE_CLOSE = 'closed: idle';

/**
 * NIP-77 on the relay: NEG-OPEN reads the (created_at, id) of the events matching the filter on a read worker
 * (read-pool.ts, which also builds the sorted set there) and answers as the negentropy responder; NEG-MSG
 * continues; NEG-CLOSE frees the session. Each connection may hold NEGENTROPY_MAX_SESSIONS sessions of at most
 * NEGENTROPY_MAX_EVENTS records; the sessions of one client IP together at most NEGENTROPY_MAX_ITEMS_PER_IP, so
 * one client cannot hold the relay's budget; all sessions together at most NEGENTROPY_MAX_ITEMS_TOTAL (beyond
 * either, NEG-OPEN is refused with BUDGET_REFUSAL). While its records are read a NEG-OPEN reserves the most it
 * may hold; a record is released when its session ends: NEG-CLOSE, a NEG-OPEN replacing it, an error,
 * NEGENTROPY_IDLE_SECONDS without a NEG-MSG (NEG-ERR IDLE_CLOSE, found by one timer sweep that runs only while
 * sessions are open), or drop() when the connection closes. Replies are cut to fit MAX_MESSAGE_BYTES once
 * hex-encoded (a frame size limit of about half of it, at least 4096 bytes). A refused or malformed request ends
 * its session with NEG-ERR.
 * With PROTECTED_DMS, the DMs the session is not a party to are left out of its set, as from a REQ.
 */
export class NegentropyHandler {
  /** Open sessions per connection; a connection without any has no entry. */
  private readonly sessions = new Map<Session, Map<string, OpenSession>>();
  private readonly frameSizeLimit: number;
  private readonly idleMs: number;
  /** NEG-OPENs being read, per connection. */
  private readonly opening = new Map<Session, Map<string, Opening>>();
  /** Records held (or reserved) by all sessions, against NEGENTROPY_MAX_ITEMS_TOTAL. */
  private held = 0;
  /** Records held (or reserved) per client, against NEGENTROPY_MAX_ITEMS_PER_IP. */
  private readonly heldBy = new Map<string, number>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly config: Config,
    private readonly reads: ReadPool,
    /** The client (IP) a session counts against. */
    private readonly clientOf: (session: Session) => string,
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
      return this.openSession(session, subId, msg[2], message);
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
    for (const subId of [...(this.opening.get(session)?.keys() ?? [])]) this.stopOpening(session, subId);
    const open = this.sessions.get(session);
    if (!open) return;
    for (const s of open.values()) this.release(session, s.items);
    this.sessions.delete(session);
    this.stopSweepIfIdle();
  }

  /**
   * Reads the filter's records on a read worker, then answers `message`. The records it may hold are reserved
   * meanwhile (the budgets hold even for NEG-OPENs read at the same time), and set to what it holds after.
   */
  private openSession(session: Session, subId: string, rawFilter: unknown, message: Uint8Array): void {
    const parsed = parseFilter(rawFilter, { maxLimit: Number.MAX_SAFE_INTEGER, maxValues: MAX_FILTER_VALUES });
    if (!parsed.ok) return this.fail(session, subId, `invalid: ${parsed.reason}`);
    const sessions = (this.sessions.get(session)?.size ?? 0) + (this.opening.get(session)?.size ?? 0);
    if (sessions >= this.config.negentropyMaxSessions) {
      return this.fail(session, subId, `blocked: more than ${this.config.negentropyMaxSessions} open negentropy sessions`);
    }
    const client = this.clientOf(session);
    const room = Math.min(this.config.negentropyMaxItemsTotal - this.held, this.config.negentropyMaxItemsPerIp - (this.heldBy.get(client) ?? 0));
    if (room <= 0) return this.fail(session, subId, BUDGET_REFUSAL);
    const max = this.config.negentropyMaxEvents;
    // One row more than allowed tells "too many" from "exactly the maximum" (of the session, or of the room left
    // in the budgets, whichever is smaller); a smaller filter limit is kept.
    const limit = Math.min(parsed.filter.limit ?? Infinity, max + 1, room + 1);
    const reserved = Math.min(limit, room);
    const visibility = this.config.protectedDms ? visibilityOf(session) : undefined;
    const job = { kind: 'negentropy' as const, filter: parsed.filter, limit, now: Math.floor(Date.now() / 1000), visibility };
    const ticket = this.reads.run(job, client);
    let opening = this.opening.get(session);
    if (!opening) this.opening.set(session, (opening = new Map()));
    opening.set(subId, { reserved, ticket: ticket as ReadTicket<unknown> });
    this.reserve(client, reserved);
    ticket.answer.then(
      (set) => {
        if (!this.stopOpening(session, subId, ticket)) return;
        if (set.timestamps.length > max) return this.fail(session, subId, 'blocked: too many events');
        if (set.timestamps.length > room) return this.fail(session, subId, BUDGET_REFUSAL);
        const items = new ItemSet(set.timestamps, Buffer.from(set.ids.buffer, set.ids.byteOffset, set.ids.byteLength), set.sums);
        this.answer(session, subId, { responder: new Responder(items, this.frameSizeLimit), items: items.size, used: Date.now() }, message);
      },
      (err: unknown) => {
        if (!this.stopOpening(session, subId, ticket)) return;
        if (err instanceof ReadRefused || err instanceof ReadTimedOut) return this.fail(session, subId, err.message);
        this.log.error({ err }, 'negentropy query failed');
        this.fail(session, subId, 'error: could not run the query');
      },
    );
  }

  /**
   * Ends a NEG-OPEN being read (its answer, or NEG-CLOSE, a new NEG-OPEN or the connection closing first),
   * releasing its reservation; true when it was still the one for this id (`ticket`'s, when given).
   */
  private stopOpening(session: Session, subId: string, ticket?: ReadTicket<unknown>): boolean {
    const opening = this.opening.get(session);
    const o = opening?.get(subId);
    if (!opening || !o || (ticket && o.ticket !== ticket)) return false;
    opening.delete(subId);
    if (opening.size === 0) this.opening.delete(session);
    o.ticket.cancel();
    this.release(session, o.reserved);
    return true;
  }

  private reserve(client: string, items: number): void {
    this.held += items;
    this.heldBy.set(client, (this.heldBy.get(client) ?? 0) + items);
  }

  private release(session: Session, items: number): void {
    const client = this.clientOf(session);
    this.held -= items;
    const left = (this.heldBy.get(client) ?? 0) - items;
    if (left > 0) this.heldBy.set(client, left);
    else this.heldBy.delete(client);
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
      this.reserve(this.clientOf(session), opened.items);
      this.startSweep();
    }
    session.send(negMsgMessage(JSON.stringify(subId), Buffer.from(r.reply).toString('hex')));
  }

  /** Ends one session if open, releasing its records. */
  private close(session: Session, subId: string): void {
    this.stopOpening(session, subId);
    const open = this.sessions.get(session);
    const s = open?.get(subId);
    if (!open || !s) return;
    open.delete(subId);
    this.release(session, s.items);
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
