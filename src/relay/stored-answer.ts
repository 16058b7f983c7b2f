import { performance } from 'node:perf_hooks';
import type { Config } from '../config/load';
import type { Filter } from '../nostr/filter';
import type { Visibility } from '../storage/query';
import type { RawsAnswer } from '../storage/read-jobs';
import { ReadRefused, ReadTimedOut, type ReadPool, type ReadTicket } from '../storage/read-pool';
import { eoseMessage, eventMessage } from './messages';
import type { Subscriber, Subscription } from './session';

/** Keys handed to a worker per batch; its answer stops earlier, at READ_BATCH_BYTES. */
const SEQS_PER_BATCH = 1000;

/** What a stored answer needs of the relay around it. */
export interface AnswerContext {
  readonly config: Config;
  readonly reads: ReadPool;
  /** Writes submitted but not yet answered (and so not yet fanned out). */
  writesPending(): number;
  /** Runs `fn` once every write submitted so far is answered and fanned out. */
  afterWrites(fn: () => void): void;
  /** Ends the subscription with CLOSED `reason` (NIP-01 prefix first). */
  close(sub: Subscription, reason: string): void;
  /** Seconds the keys of the answer took to read. */
  queried(seconds: number): void;
  /** A read failed for a reason other than the pool's bounds (logged). */
  failed(err: unknown): void;
  /** A held live event was delivered after EOSE (a fan-out delivery, late). */
  delivered(): void;
  /** This answer ended: EOSE sent, refused, or cancelled. */
  ended(): void;
}

/**
 * One REQ's stored events, read on the read workers and sent in NIP-01 order: stored events (newest first), EOSE,
 * then live ones. The subscription is live from the start, so no event committed meanwhile is lost: fan-out hands
 * such events to hold() until EOSE, and each is sent once, from the stored answer or after EOSE, never both.
 *
 * The worker first reads only the answer's keys (at most READ_MAX_ROWS), with the first batch of events (most
 * answers: one round trip); then the rest a batch of at most READ_BATCH_BYTES at a time, the next batch only once
 * the client has taken the last one (uWS drain), so one REQ holds one batch in memory whatever its size, and a
 * slow reader slows only itself. An answer over READ_MAX_BYTES or READ_MAX_ROWS is cut and ends with CLOSED
 * `error:`. cancel() (CLOSE, a REQ replacing it, the connection closing) stops it between batches.
 */
export class StoredAnswer {
  private ticket?: ReadTicket<unknown>;
  /** The keys' job, which holds this REQ's place in its client's share of the read queue until it ends. */
  private place?: ReadTicket<unknown>;
  private cancelled = false;
  /** Live events that arrived while the stored ones were being sent, by id, in arrival order. */
  private readonly live = new Map<string, string>();
  private liveBytes = 0;
  /** Ids sent from the store. */
  private readonly sent = new Set<string>();
  private bytes = 0;
  private seqs: Float64Array = new Float64Array(0);
  private cut = false;

  constructor(
    private readonly ctx: AnswerContext,
    private readonly owner: Subscriber,
    private readonly sub: Subscription,
    /** Whose share of the read queue this is (an IP). */
    private readonly client: string,
  ) {}

  start(filters: Filter[], visibility: Visibility | undefined): void {
    const { config } = this.ctx;
    this.sub.held = this;
    const started = performance.now();
    const job = {
      kind: 'keys' as const,
      filters,
      defaultLimit: config.defaultLimit,
      now: Math.floor(Date.now() / 1000),
      visibility,
      maxRows: config.readMaxRows,
      maxBytes: Math.min(config.readBatchBytes, config.readMaxBytes),
    };
    const ticket = this.ctx.reads.run(job, this.client, { keepPlace: true });
    this.place = ticket as ReadTicket<unknown>;
    this.ask(ticket, (keys) => {
      this.ctx.queried((performance.now() - started) / 1000);
      this.seqs = keys.seqs;
      this.cut = keys.cut;
      this.sendBatch(0, keys.first);
    });
  }

  /** Fan-out: a live event for this subscription before its EOSE. */
  hold(id: string, raw: string): void {
    if (this.sent.has(id) || this.live.has(id)) return;
    this.live.set(id, raw);
    this.liveBytes += raw.length;
    // held as the socket would hold them: the same bound as for a slow reader
    if (this.liveBytes > this.ctx.config.backpressureLimit) {
      this.end('error: too many new events arrived while the stored ones were sent; ask again with narrower filters');
    }
  }

  cancel(): void {
    if (!this.cancelled) this.ctx.ended();
    this.cancelled = true;
    this.ticket?.cancel();
    this.place?.leave();
    if (this.sub.held === this) this.sub.held = undefined;
  }

  private ask<T>(ticket: ReadTicket<T>, then: (value: T) => void): void {
    this.ticket = ticket as ReadTicket<unknown>;
    ticket.answer.then(
      (value) => {
        if (!this.cancelled) then(value);
      },
      (err: unknown) => {
        if (this.cancelled) return;
        // the pool's own reasons are already NIP-01 prefixed
        if (err instanceof ReadRefused || err instanceof ReadTimedOut) return this.end(err.message);
        this.ctx.failed(err);
        this.end('error: could not run the query');
      },
    );
  }

  /** Reads and sends the batch starting at key `from`. */
  private next(from: number): void {
    if (from >= this.seqs.length) return this.finish();
    const { readMaxBytes, readBatchBytes } = this.ctx.config;
    if (this.bytes >= readMaxBytes) return this.end(this.overBytes());
    const job = { kind: 'raws' as const, seqs: this.seqs.slice(from, from + SEQS_PER_BATCH), maxBytes: Math.min(readBatchBytes, readMaxBytes - this.bytes) };
    this.ask(this.ctx.reads.run(job, this.client, { continuation: true }), (batch) => this.sendBatch(from, batch));
  }

  /** Sends the batch read from key `from` on (in one write where the transport can), then goes on with the next. */
  private sendBatch(from: number, batch: RawsAnswer): void {
    if (this.owner.cork) this.owner.cork(() => this.sendCorked(from, batch));
    else this.sendCorked(from, batch);
  }

  /** Sends the batch, then goes on with the next once the client has taken it (EOSE after the last). */
  private sendCorked(from: number, { raws, taken }: RawsAnswer): void {
    const { readMaxBytes, readBatchBytes } = this.ctx.config;
    for (const raw of raws) {
      if (this.bytes + raw.length > readMaxBytes) return this.end(this.overBytes());
      // canonical JSON starts with {"id":"<64 hex>"
      const id = raw.slice(7, 71);
      this.sent.add(id);
      const held = this.live.get(id);
      if (held !== undefined) {
        this.live.delete(id);
        this.liveBytes -= held.length;
      }
      this.bytes += raw.length;
      if (!this.owner.send(eventMessage(this.sub.idJson, raw))) return this.cancel();
    }
    const resume = () => {
      if (!this.cancelled) this.next(from + taken);
    };
    // the next batch once this one is (mostly) taken: a slow reader holds at most about two batches
    if (this.owner.whenDrained && (this.owner.buffered?.() ?? 0) > readBatchBytes) this.owner.whenDrained(resume);
    else resume();
  }

  private overBytes(): string {
    return `error: the stored events are over ${this.ctx.config.readMaxBytes} bytes; ask with smaller limits`;
  }

  private finish(): void {
    if (this.cut) return this.end(`error: more than ${this.ctx.config.readMaxRows} stored events match; ask with smaller limits`);
    this.cancel();
    if (!this.owner.send(eoseMessage(this.sub.idJson))) return;
    for (const raw of this.live.values()) {
      if (!this.owner.send(eventMessage(this.sub.idJson, raw))) return;
      this.ctx.delivered();
    }
    this.live.clear();
    // An event in the answer may be committed but not yet fanned out: that fan-out must skip it.
    if (this.ctx.writesPending() > 0 && this.sent.size > 0) {
      const sub = this.sub;
      sub.sentUncommitted = this.sent;
      this.ctx.afterWrites(() => {
        if (sub.sentUncommitted === this.sent) sub.sentUncommitted = undefined;
      });
    }
  }

  private end(reason: string): void {
    if (this.cancelled) return;
    this.cancel();
    this.ctx.close(this.sub, reason);
  }
}
