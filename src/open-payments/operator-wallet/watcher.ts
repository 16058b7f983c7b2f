import type { Logger } from 'pino';
import type { Committer } from '../../storage/committer';
import type { OpenTopUp, TopUps } from './top-ups';
import { describe, type IncomingPaymentState } from './wallet';

/** Top-ups read per tick; more wait for the next. */
const BATCH = 32;
/** The wait between reads doubles up to this many times the first. */
const MAX_BACKOFF_FACTOR = 30;
/**
 * An expired payment is completed and read for its final amount this long after its expiresAt (completing it stops
 * a wallet whose clock is behind ours from taking more packets; some wallets refuse to complete an expired one).
 */
export const EXPIRY_GRACE_MS = 2000;
/** Credited top-ups are kept this long (what was asked, received and credited), then deleted. */
const KEEP_CREDITED_MS = 30 * 24 * 3600_000;

export interface WatcherDeps {
  topUps: TopUps;
  read: (incomingPayment: string) => Promise<IncomingPaymentState>;
  /** Completes an expired one at the wallet (no packet can then arrive after it is credited) and reads it. */
  finish: (incomingPayment: string) => Promise<IncomingPaymentState>;
  committer: Committer;
  /** Milliseconds before the first read; doubled per read, up to MAX_BACKOFF_FACTOR times. */
  pollIntervalMs: number;
  log: Logger;
  now?: () => number;
}

/** When to read a top-up next, after `reads` reads: backoff, but never past the moment its final amount is known. */
export function nextReadAt(now: number, reads: number, expiresAt: number, intervalMs: number): number {
  const next = now + intervalMs * Math.min(2 ** Math.min(reads, 30), MAX_BACKOFF_FACTOR);
  const final = expiresAt + EXPIRY_GRACE_MS;
  return now < final ? Math.min(next, final) : next;
}

/**
 * Reads the open top-ups when they are due (the schedule is in SQLite, so it survives restarts) and credits each
 * once, with what it received, when it has completed or expired. A read that fails is tried again later.
 */
export class TopUpWatcher {
  readonly #timer: NodeJS.Timeout;
  #tick: Promise<void> | undefined;
  #stopped = false;
  readonly #now: () => number;

  constructor(private readonly deps: WatcherDeps) {
    this.#now = deps.now ?? Date.now;
    this.#timer = setInterval(() => this.poke(), Math.min(deps.pollIntervalMs, 1000));
    this.#timer.unref();
  }

  /** Runs a tick now unless one is under way. */
  poke(): void {
    if (this.#tick || this.#stopped) return;
    this.#tick = this.tick().finally(() => (this.#tick = undefined));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#tick;
  }

  private async tick(): Promise<void> {
    const { topUps, committer, log } = this.deps;
    try {
      const due = topUps.due(this.#now(), BATCH);
      await Promise.all(due.map((t) => this.watch(t)));
      const purged = topUps.purgeCredited(this.#now() - KEEP_CREDITED_MS, 1000);
      if (purged > 0) log.debug({ purged }, 'top-ups: old credited top-ups deleted');
      await committer.settled();
    } catch (err) {
      log.error({ err }, 'top-ups: a round of reads failed');
    }
  }

  private async watch(t: OpenTopUp): Promise<void> {
    const { topUps, committer, log, pollIntervalMs } = this.deps;
    let state: IncomingPaymentState | undefined;
    try {
      const expired = this.#now() >= t.expiresAt + EXPIRY_GRACE_MS;
      state = await (expired ? this.deps.finish(t.incomingPayment) : this.deps.read(t.incomingPayment));
    } catch (err) {
      log.warn({ incomingPayment: t.incomingPayment, reads: t.reads, reason: describe(err) }, 'top-ups: reading an incoming payment failed');
    }
    if (this.#stopped) return;
    const now = this.#now();
    if (state && (state.completed || now >= t.expiresAt + EXPIRY_GRACE_MS)) {
      const received = state.received;
      const credited = committer.run(() => topUps.credit(t, received, now)).value;
      if (credited !== undefined) {
        log.info({ pubkey: t.pubkey, incomingPayment: t.incomingPayment, received: String(received), credited: String(credited) }, 'top-up credited');
      }
      return;
    }
    committer.run(() => topUps.reschedule(t.incomingPayment, nextReadAt(now, t.reads + 1, t.expiresAt, pollIntervalMs)));
  }
}
