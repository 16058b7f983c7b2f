import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config/load';
import { canonicalJson, checkShape, computeId, isHex64, kindClass, serializeForId, type NostrEvent } from '../nostr/event';
import { VerifyQueue } from '../nostr/verify';
import type { PaidWrite, PaidWriteResult, Unpaid } from '../payments/paid-write';
import type { EventStore } from '../storage/events';
import { ReadPool, ReadRefused, ReadTimedOut } from '../storage/read-pool';
import type { DurableWriter, Lost } from '../storage/durable-writer';
import { closedMessage, countMessage, eventMessage, noticeMessage, okMessage } from './messages';
import { authMessage, challengeOf, handleAuth } from './nip42';
import { refuseEvent, refuseFilters } from './policies/policy';
import { isParty, isProtectedDm, visibilityOf } from './policies/protected-dms';
import { relayPolicies, type RelayPolicies } from './policies/relay-policies';
import { readFilters } from './read-filters';
import { paymentRequired, refusal, refusalOf, refusalText, type Refusal } from './refusal';
import { NegentropyHandler } from './negentropy';
import { StoredAnswer, type AnswerContext } from './stored-answer';
import type { Session, Subscription } from './session';
import { SubscriptionIndex } from './subscriptions';

// The constant refusals of the EVENT path, made once.
const LOST = refusal('error', 'could not store the event, try again');
const NOT_ONE_EVENT = refusal('invalid', 'EVENT takes exactly one event');
const BAD_ID = refusal('invalid', 'id is not the hash of the event');
const BAD_SIGNATURE = refusal('invalid', 'signature does not verify');
const BUSY = refusal('rate-limited', 'the relay is busy; try again shortly');

/**
 * What metrics need beyond the counters (src/ops/metrics.ts implements it). Called on the hot path: keep it cheap.
 */
export interface RelayObserver {
  /** A stored event: seconds from its EVENT message to its `OK true` (checks, group commit included). */
  eventStored(seconds: number): void;
  /** A refused event, with why (relay/refusal.ts). */
  eventRejected(refusal: Refusal): void;
  /** An event already stored (answered `OK true "duplicate: …"`). */
  eventDuplicate(): void;
  /** Seconds the stored-event query of one REQ took. */
  reqQueried(seconds: number): void;
}

export interface RelayCounters {
  eventsReceived: number;
  eventsStored: number;
  /** Ephemeral events accepted and fanned out (never stored). */
  eventsEphemeral: number;
  eventsRejected: number;
  reqs: number;
  fanout: number;
}

/**
 * The NIP-01 protocol, independent of transport: parse a client message, answer on the session, and fan out
 * stored events to live subscriptions. Hot path: parse → shape → id → signature (batched, off the loop) → group
 * commit → OK → fan-out.
 */
export class Relay {
  readonly subscriptions = new SubscriptionIndex();
  readonly counters: RelayCounters = { eventsReceived: 0, eventsStored: 0, eventsEphemeral: 0, eventsRejected: 0, reqs: 0, fanout: 0 };
  /** Set by the composition root when metrics are on. */
  observer?: RelayObserver;
  /** NIP-77 sessions, made at the first NEG-OPEN. */
  private negentropy?: NegentropyHandler;
  /** What EVENT, AUTH, REQ and COUNT are checked against (src/relay/policies), built from the settings. */
  readonly policies: RelayPolicies;
  private readonly signatures: VerifyQueue;
  private answers?: AnswerContext;
  private readonly sessionKeys = new WeakMap<Session, string>();
  private sessionCount = 0;
  /** REQs whose stored events are still being read or sent (they end with EOSE or CLOSED). */
  storedAnswers = 0;

  constructor(
    private readonly config: Config,
    private readonly store: EventStore,
    private readonly writer: DurableWriter,
    /** Prices, charges and stores an EVENT in one transaction of `writer`. */
    private readonly paid: PaidWrite,
    private readonly log: Logger,
    /** Where REQ, COUNT and NEG-OPEN read (compose-peer.ts passes the peer's and closes it); made on first use if not. */
    private reads?: ReadPool,
  ) {
    this.policies = relayPolicies(config);
    this.signatures = new VerifyQueue((err) => log.error({ err }, 'event handling failed'));
  }

  /** The read workers. */
  readPool(): ReadPool {
    return (this.reads ??= readPoolFor(this.store.file, this.config, this.log));
  }

  /** Whose share of the read queue and negentropy budget a session uses: its IP, or the session itself. */
  readClient(session: Session): string {
    if (session.ip !== undefined) return session.ip;
    let key = this.sessionKeys.get(session);
    if (!key) this.sessionKeys.set(session, (key = `session ${++this.sessionCount}`));
    return key;
  }

  private answerContext(): AnswerContext {
    return (this.answers ??= {
      config: this.config,
      reads: this.readPool(),
      writesPending: () => this.writer.pending,
      // A turn already committed but not yet on disk settles before its writes' own answers (promise reactions
      // run in order), so the fan-out is sure to be past only on the next macrotask.
      afterWrites: (fn) => this.writer.afterPending(() => setImmediate(fn)),
      close: (sub, reason) => this.closeSub(sub.owner as Session, sub.id, reason),
      queried: (seconds) => this.observer?.reqQueried(seconds),
      failed: (err) => this.log.error({ err }, 'query failed'),
      delivered: () => this.counters.fanout++,
      ended: () => this.storedAnswers--,
    });
  }

  /** EVENTs waiting for their signature check. */
  get signatureChecksPending(): number {
    return this.signatures.pending;
  }

  /** Resolves once every EVENT received so far is past its signature check (and so submitted or answered). */
  verified(): Promise<void> {
    return this.signatures.idle();
  }

  /** A new session: sends the NIP-42 challenge at once when reading needs authentication. */
  open(session: Session): void {
    if (this.config.authRequired || this.config.protectedDms) session.send(authMessage(challengeOf(session)));
  }

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
      case 'COUNT':
        return this.onCount(session, msg);
      case 'AUTH':
        return handleAuth(session, msg, this.policies.auth, this.config.publicUrl, this.config.maxEventTags);
      case 'NEG-OPEN': {
        // A reconciliation reads like a REQ: the same auth and per-IP rate rules (DM visibility applies in the scan).
        const refused = refuseFilters(this.policies.req, [], session);
        if (!refused) return this.negentropyHandler().handle(session, msg);
        this.challengeIfNeeded(session, refused);
        return void session.send(JSON.stringify(['NEG-ERR', msg[1], refusalText(refused)]));
      }
      case 'NEG-MSG':
      case 'NEG-CLOSE':
        return this.negentropyHandler().handle(session, msg);
      default:
        // cut by code points: half a surrogate pair would be a lone one in the NOTICE
        session.send(noticeMessage(`invalid: unknown message type ${[...JSON.stringify(msg[0])].slice(0, 40).join('')}`));
    }
  }

  private negentropyHandler(): NegentropyHandler {
    return (this.negentropy ??= new NegentropyHandler(this.config, this.readPool(), (s) => this.readClient(s), this.log));
  }

  /** Forgets a session's subscriptions and negentropy sessions (connection closed). */
  drop(session: Session): void {
    for (const sub of session.subs.values()) {
      sub.held?.cancel();
      this.subscriptions.remove(sub);
    }
    session.subs.clear();
    this.negentropy?.drop(session);
  }

  private onEvent(session: Session, msg: unknown[]): void {
    this.counters.eventsReceived++;
    const received = performance.now();
    const e = msg[1] as NostrEvent;
    if (msg.length !== 2) return this.refuse(session, e, NOT_ONE_EVENT);
    const shape = checkShape(e, this.config);
    if (shape) return this.refuse(session, e, refusal('invalid', shape));
    const now = Math.floor(Date.now() / 1000);
    const refused = refuseEvent(this.policies.event, e, session, now);
    if (refused) return this.refuse(session, e, refused);
    const serialized = serializeForId(e);
    if (computeId(serialized) !== e.id) return this.refuse(session, e, BAD_ID);
    const asked = this.signatures.verify(e.id, e.pubkey, e.sig, (valid) =>
      valid ? this.onVerifiedEvent(session, e, serialized, received) : this.refuse(session, e, BAD_SIGNATURE),
    );
    if (!asked) this.refuse(session, e, BUSY);
  }

  private onVerifiedEvent(session: Session, e: NostrEvent, serialized: string, received: number): void {
    const now = Math.floor(Date.now() / 1000);
    // A replay of a stored event is answered before the per-pubkey limit, so replays cannot spend its author's tokens.
    if (this.store.has(e.id)) {
      // The stored copy may be in a transaction not yet on disk: say "already have" only once it is.
      return this.writer.afterPending((durable) => {
        if (!durable) return this.refuse(session, e, LOST);
        this.observer?.eventDuplicate();
        session.send(okMessage(e.id, true, 'duplicate: already have this event'));
      });
    }
    const distrust = refuseEvent(this.policies.verifiedEvent, e, session, now);
    if (distrust) return this.refuse(session, e, distrust);

    const raw = canonicalJson(e);
    // The author pays, whoever carries the event: only its signature can spend its balance.
    const payer = e.pubkey;
    const ephemeral = kindClass(e.kind) === 'ephemeral';
    const answer = (result: PaidWriteResult | Lost) => {
      switch (result.status) {
        case 'stored':
          session.send(okMessage(e.id, true, ''));
          if (ephemeral) this.counters.eventsEphemeral++;
          else {
            this.counters.eventsStored++;
            this.observer?.eventStored((performance.now() - received) / 1000);
          }
          this.fanOut(e, raw);
          return;
        case 'duplicate':
          this.observer?.eventDuplicate();
          session.send(okMessage(e.id, true, result.message));
          return;
        case 'unpaid':
          return this.refuse(session, e, this.paymentRequired(session, payer, result));
        case 'lost':
          return this.refuse(session, e, LOST);
        case 'rejected':
          return this.refuse(session, e, refusalOf(result.message));
      }
    };
    this.paid.submit(e, raw, payer, serialized, ephemeral, answer);
  }

  /**
   * The refusal names the price and the payment pointer `$host/pay/<payer>` (this peer's SPSP); the balance only
   * when this session has proven the payer's key (NIP-42), else anyone could read anyone's balance. A session
   * without a challenge yet gets one (when AUTH can work: PUBLIC_URL set), so its client can authenticate.
   */
  private paymentRequired(session: Session, payer: string, unpaid: Unpaid): Refusal {
    const { assetCode, assetScale, publicUrl } = this.config;
    const host = publicUrl ? new URL(publicUrl).host : session.host;
    const pointer = host ? `$${host}/pay/${payer}` : `/pay/${payer}`;
    const proven = session.authed?.has(payer) === true;
    if (!proven && publicUrl && session.challenge === undefined) session.send(authMessage(challengeOf(session)));
    return paymentRequired(unpaid, { assetCode, assetScale, pointer, showBalance: proven });
  }

  private refuse(session: Session, e: unknown, refused: Refusal): void {
    this.counters.eventsRejected++;
    this.observer?.eventRejected(refused);
    this.challengeIfNeeded(session, refused);
    const id = (e as { id?: unknown } | null)?.id;
    const reason = refusalText(refused);
    // OK needs the event id; without a usable one the answer can only be a NOTICE.
    session.send(isHex64(id) ? okMessage(id, false, reason) : noticeMessage(reason));
  }

  /** With an `auth-required` refusal goes this session's challenge, once, so the client can authenticate. */
  private challengeIfNeeded(session: Session, refused: Refusal): void {
    if (session.challenge === undefined && refused.prefix === 'auth-required') session.send(authMessage(challengeOf(session)));
  }

  /** Refuses a REQ or COUNT for a policy's reason: with an `auth-required` one goes the challenge. */
  private refuseReq(session: Session, subId: string, refused: Refusal): void {
    this.challengeIfNeeded(session, refused);
    this.closeSub(session, subId, refusalText(refused));
  }

  /** Ends a REQ with CLOSED `reason`; a REQ that replaced a subscription of the same id ends it too. */
  private closeSub(session: Session, subId: string, reason: string): void {
    const previous = session.subs.get(subId);
    if (previous) {
      previous.held?.cancel();
      session.subs.delete(subId);
      this.subscriptions.remove(previous);
    }
    session.send(closedMessage(subId, reason));
  }

  /** What of the protected DM kinds this session may read, when PROTECTED_DMS is on. */
  private visibility(session: Session) {
    return this.config.protectedDms ? visibilityOf(session) : undefined;
  }

  private onReq(session: Session, msg: unknown[]): void {
    this.counters.reqs++;
    const read = readFilters(msg, this.config);
    if ('notice' in read) return void session.send(read.notice);
    if ('reason' in read) return this.closeSub(session, read.subId, read.reason);
    const { subId, filters } = read;
    const refused = refuseFilters(this.policies.req, filters, session);
    if (refused) return this.refuseReq(session, subId, refused);
    const previous = session.subs.get(subId);
    if (!previous && session.subs.size >= this.config.maxSubscriptions) {
      return void session.send(closedMessage(subId, `restricted: more than ${this.config.maxSubscriptions} open subscriptions`));
    }
    if (previous) {
      previous.held?.cancel();
      this.subscriptions.remove(previous);
    }
    // Live at once: events committed while the stored answer is read are held by it until EOSE (stored-answer.ts).
    const sub: Subscription = { owner: session, id: subId, idJson: JSON.stringify(subId), filters };
    session.subs.set(subId, sub);
    this.subscriptions.add(sub);
    this.storedAnswers++;
    new StoredAnswer(this.answerContext(), session, sub, this.readClient(session)).start(filters, this.visibility(session));
  }

  /** NIP-45: the number of stored events matching any of the filters; no subscription is opened or closed. */
  private onCount(session: Session, msg: unknown[]): void {
    const read = readFilters(msg, this.config);
    if ('notice' in read) return void session.send(read.notice);
    const refuse = (subId: string, reason: string) => void session.send(closedMessage(subId, reason));
    if ('reason' in read) return refuse(read.subId, read.reason);
    const { subId, filters } = read;
    const refused = refuseFilters(this.policies.count, filters, session);
    if (refused) {
      this.challengeIfNeeded(session, refused);
      return refuse(subId, refusalText(refused));
    }
    const job = { kind: 'count' as const, filters, cap: this.config.maxCount, now: Math.floor(Date.now() / 1000), visibility: this.visibility(session) };
    this.readPool()
      .run(job, this.readClient(session))
      .answer.then(
        (counted) => session.send(countMessage(subId, counted.count, counted.capped)),
        (err: unknown) => {
          if (err instanceof ReadRefused || err instanceof ReadTimedOut) return refuse(subId, err.message);
          this.log.error({ err }, 'count failed');
          refuse(subId, 'error: could not run the count');
        },
      );
  }

  private onClose(session: Session, msg: unknown[]): void {
    const subId = msg[1];
    if (typeof subId !== 'string') return void session.send(noticeMessage('invalid: CLOSE needs a subscription id'));
    const sub = session.subs.get(subId);
    if (!sub) return;
    sub.held?.cancel();
    session.subs.delete(subId);
    this.subscriptions.remove(sub);
  }

  private fanOut(e: NostrEvent, raw: string): void {
    const dm = this.config.protectedDms && isProtectedDm(e.kind);
    for (const sub of this.subscriptions.match(e)) {
      if (dm && !isParty(e, (sub.owner as Session).authed)) continue;
      if (sub.sentUncommitted?.has(e.id)) continue;
      if (sub.held) {
        sub.held.hold(e.id, raw);
        continue;
      }
      if (sub.owner.send(eventMessage(sub.idJson, raw))) this.counters.fanout++;
    }
  }
}

/** A read pool with the settings' limits. */
export function readPoolFor(file: string, config: Config, log: Logger): ReadPool {
  return new ReadPool(
    file,
    { workers: config.readWorkers, timeoutMs: config.readTimeoutMs, maxQueued: config.readQueueMax, maxPerClient: config.readQueuePerClient },
    (err) => log.error({ err }, 'read worker failed'),
  );
}
