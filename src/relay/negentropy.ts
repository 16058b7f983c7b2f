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

/**
 * NIP-77 on the relay: NEG-OPEN reads the (created_at, id) of the events matching the filter and answers as the
 * negentropy responder; NEG-MSG continues; NEG-CLOSE frees the session. Each connection may hold
 * NEGENTROPY_MAX_SESSIONS sessions of at most NEGENTROPY_MAX_EVENTS records (reading 500,000 takes about a second,
 * on the event loop). Replies are cut to fit MAX_MESSAGE_BYTES once hex-encoded (a frame size limit of about half
 * of it, at least 4096 bytes). A refused or malformed request ends its session with NEG-ERR.
 * With PROTECTED_DMS, the DMs the session is not a party to are left out of its set, as from a REQ.
 */
export class NegentropyHandler {
  /** Open sessions per connection; a closed connection's map goes with its Session object. */
  private readonly sessions = new WeakMap<Session, Map<string, Responder>>();
  private readonly frameSizeLimit: number;

  constructor(
    private readonly config: Config,
    private readonly store: EventStore,
    private readonly log: Logger,
  ) {
    this.frameSizeLimit = Math.max(MIN_FRAME_SIZE_LIMIT, Math.floor((config.maxMessageBytes - NEG_MSG_OVERHEAD) / 2));
  }

  /** Handles a parsed client message whose type is NEG-OPEN, NEG-MSG or NEG-CLOSE. */
  handle(session: Session, msg: unknown[]): void {
    const subId = msg[1];
    if (typeof subId !== 'string' || subId.length === 0 || subId.length > this.config.maxSubidLength) {
      session.send(noticeMessage(`invalid: ${msg[0]} needs a subscription id of 1 to ${this.config.maxSubidLength} characters`));
      return;
    }
    const open = this.sessionsOf(session);
    if (msg[0] === 'NEG-CLOSE') {
      open.delete(subId);
      return;
    }
    if (msg[0] === 'NEG-OPEN') {
      // NIP-77: a NEG-OPEN for an open id first closes it.
      open.delete(subId);
      if (msg.length !== 4) return this.fail(session, subId, 'invalid: NEG-OPEN takes a subscription id, a filter and a hex message');
      const message = decodeHex(msg[3]);
      if (!message) return this.fail(session, subId, BAD_HEX);
      const responder = this.openSession(session, subId, msg[2], open);
      if (responder) this.answer(session, subId, responder, message, open);
      return;
    }
    if (msg.length !== 3) return this.fail(session, subId, 'invalid: NEG-MSG takes a subscription id and a hex message');
    const responder = open.get(subId);
    if (!responder) return this.fail(session, subId, 'closed: no open negentropy session with this id');
    const message = decodeHex(msg[2]);
    if (!message) {
      open.delete(subId);
      return this.fail(session, subId, BAD_HEX);
    }
    this.answer(session, subId, responder, message, open);
  }

  private openSession(session: Session, subId: string, rawFilter: unknown, open: Map<string, Responder>): Responder | undefined {
    const parsed = parseFilter(rawFilter, { maxLimit: Number.MAX_SAFE_INTEGER, maxValues: MAX_FILTER_VALUES });
    if (!parsed.ok) return void this.fail(session, subId, `invalid: ${parsed.reason}`);
    if (open.size >= this.config.negentropyMaxSessions) {
      return void this.fail(session, subId, `blocked: more than ${this.config.negentropyMaxSessions} open negentropy sessions`);
    }
    const max = this.config.negentropyMaxEvents;
    const items = new ItemSetBuilder();
    try {
      // One row more than allowed tells "too many" from "exactly the maximum"; a smaller filter limit is kept.
      const visibility = this.config.protectedDms ? visibilityOf(session) : undefined;
      const limit = Math.min(parsed.filter.limit ?? Infinity, max + 1);
      this.store.scanTimes(parsed.filter, limit, (createdAt, id) => items.add(createdAt, id), undefined, visibility);
    } catch (err) {
      this.log.error({ err }, 'negentropy query failed');
      return void this.fail(session, subId, 'error: could not run the query');
    }
    if (items.size > max) return void this.fail(session, subId, 'blocked: too many events');
    return new Responder(items.build(), this.frameSizeLimit);
  }

  /** Replies to one message; the session stays open unless the message is malformed. */
  private answer(session: Session, subId: string, responder: Responder, message: Uint8Array, open: Map<string, Responder>): void {
    const r = responder.reply(message);
    if (!r.ok) {
      open.delete(subId);
      return this.fail(session, subId, `invalid: ${r.reason}`);
    }
    open.set(subId, responder);
    session.send(negMsgMessage(JSON.stringify(subId), Buffer.from(r.reply).toString('hex')));
  }

  private fail(session: Session, subId: string, reason: string): void {
    session.send(negErrMessage(subId, reason));
  }

  private sessionsOf(session: Session): Map<string, Responder> {
    let open = this.sessions.get(session);
    if (!open) {
      open = new Map();
      this.sessions.set(session, open);
    }
    return open;
  }
}
