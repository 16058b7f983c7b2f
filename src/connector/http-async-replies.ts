import type http from 'node:http';
import type { Logger } from 'pino';
import { HTTP_LINK_TIMEOUT_MS, postBytes } from './http-post';

/** Where the async replies of one peer may go: the origin of its configured `http.url`, with its token and pool. */
export interface CallbackTarget {
  origin: string;
  token: string;
  agent: http.Agent;
}

/** How long a claimed Request-Id is kept before its Prepare is read (then until the Prepare expires). */
const CLAIM_MS = 60_000;
/** Async requests remembered at once (each until its Prepare expires): beyond, new ones are answered 503. */
const MAX_TRACKED = 10_000;
/** First wait before a retry of a callback answered 5xx (or not at all), doubled each time up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
/** One callback attempt waits at most this long for its answer (less when the Prepare expires sooner). */
const ATTEMPT_TIMEOUT_MS = 5_000;
/** A callback's answer is read up to this size and ignored; only its status counts. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The asynchronous mode of ILP-over-HTTP (RFC 35 draft 3): the reply to a Prepare accepted with 202 is POSTed to
 * the request's Callback-Url with the same Request-Id, retried on 5xx or no answer until the Prepare expires (after
 * that the peer has given up on it anyway). Each Request-Id of a peer is processed once: a repeat is only answered.
 */
export class AsyncReplies {
  /** `peer request-id` → expiry (ms) of its Prepare. */
  private readonly tracked = new Map<string, number>();
  /** Retries waiting for their turn, each with what wakes it early (close). */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(private readonly log: Logger) {}

  /**
   * Claims `requestId` for `peer` when its headers arrive, before its body: false when it is already claimed (a
   * retry of a request accepted or still arriving), so that two copies sent at once are processed once.
   */
  claim(peer: string, requestId: string): boolean {
    const key = `${peer} ${requestId.toLowerCase()}`;
    if (this.tracked.has(key)) return false;
    // until its body says when the Prepare expires: at most the longest a body may take plus the longest hold
    this.tracked.set(key, Date.now() + CLAIM_MS);
    return true;
  }

  /** Gives a claim back: its request was refused (400), so a corrected retry with the same id is processed. */
  release(peer: string, requestId: string): void {
    this.tracked.delete(`${peer} ${requestId.toLowerCase()}`);
  }

  /** True when MAX_TRACKED requests are remembered even after forgetting those whose Prepare expired. */
  full(): boolean {
    if (this.tracked.size < MAX_TRACKED) return false;
    const now = Date.now();
    for (const [key, expiry] of this.tracked) if (expiry < now) this.tracked.delete(key);
    return this.tracked.size >= MAX_TRACKED;
  }

  /** Processes the packet of a claimed request (`produce` resolves with the raw reply) and delivers its reply to `url`. */
  accept(peer: string, requestId: string, expiresAt: Date, produce: () => Promise<Uint8Array>, target: CallbackTarget, url: URL): void {
    // A peer names the expiry: no request is remembered, nor its reply retried, longer than a link's timeout, so
    // far-future expiries cannot fill the table every peer shares.
    const deadline = Math.min(expiresAt.getTime(), Date.now() + HTTP_LINK_TIMEOUT_MS);
    this.tracked.set(`${peer} ${requestId.toLowerCase()}`, Math.max(deadline, Date.now()));
    produce()
      .then((reply) => this.deliver(peer, requestId, reply, deadline, target, url))
      .catch((err) => this.log.error({ err, peer }, 'async ilp-over-http request failed'));
  }

  private async deliver(peer: string, requestId: string, reply: Uint8Array, expiry: number, target: CallbackTarget, url: URL): Promise<void> {
    const headers = { Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/octet-stream', 'Request-Id': requestId };
    let delay = RETRY_MIN_MS;
    for (let attempt = 1; !this.closed; attempt++) {
      const left = expiry - Date.now();
      if (left <= 0) break;
      const answer = await postBytes(target.agent, url, headers, reply, Math.min(ATTEMPT_TIMEOUT_MS, left), MAX_ANSWER_BYTES);
      if (answer !== 'timeout' && 'status' in answer) {
        if (answer.status >= 200 && answer.status < 300) return;
        if (answer.status < 500) {
          this.log.warn({ peer, status: answer.status }, 'the callback refused an async ilp-over-http reply; not retried');
          return;
        }
      }
      if (Date.now() + delay >= expiry) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waits.delete(timer);
          resolve();
        }, delay);
        this.waits.set(timer, resolve);
      });
      delay = Math.min(delay * 2, RETRY_MAX_MS);
      this.log.debug({ peer, attempt }, 'retrying an async ilp-over-http callback');
    }
    if (!this.closed) this.log.warn({ peer }, 'an async ilp-over-http reply could not be delivered before its packet expired');
  }

  /** Stops retrying (at shutdown): the peers' Prepares expire on their side. */
  close(): void {
    this.closed = true;
    for (const [timer, wake] of this.waits) {
      clearTimeout(timer);
      wake();
    }
    this.waits.clear();
  }
}
