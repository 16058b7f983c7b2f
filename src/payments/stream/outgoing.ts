import { INITIAL_REMOTE_WINDOW } from '../stream-limits';

/** Data that left in a Prepare that failed, to send again at its original offset. */
export interface Resend {
  offset: number;
  data: Uint8Array;
}

/**
 * A client stream's outgoing bytes: relay messages queue here until the client's window (StreamMaxData) lets them
 * go; data of a failed Prepare goes out again first, at the same offsets.
 */
export class OutgoingBytes {
  private sent = 0;
  private window = INITIAL_REMOTE_WINDOW;
  private queued = 0;
  private queue: Uint8Array[] = [];
  private resends: Resend[] = [];

  /** Next offset to send; bytes below it left in a reply or a Prepare. */
  get sentOffset(): number {
    return this.sent;
  }

  /** The client's StreamMaxData. */
  get remoteMax(): number {
    return this.window;
  }

  /** Bytes queued and not yet sent. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Raises the window to what the client announced (windows only grow). */
  raiseWindow(offered: bigint): void {
    this.window = raise(this.window, offered);
  }

  enqueue(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queued += bytes.length;
  }

  hasOutput(): boolean {
    return this.queued > 0 || this.resends.length > 0;
  }

  /** The first `n` queued bytes (n ≤ queuedBytes), as one array, sent from sentOffset on. */
  take(n: number): Uint8Array {
    this.queued -= n;
    this.sent += n;
    const first = this.queue[0];
    if (first.length === n) {
      this.queue.shift();
      return first;
    }
    if (first.length > n) {
      this.queue[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.queue[0];
      const want = n - filled;
      if (head.length <= want) {
        out.set(head, filled);
        filled += head.length;
        this.queue.shift();
      } else {
        out.set(head.subarray(0, want), filled);
        this.queue[0] = head.subarray(want);
        filled = n;
      }
    }
    return out;
  }

  resend(offset: number, data: Uint8Array): void {
    this.resends.push({ offset, data });
  }

  /** The next piece to resend, at most `max` bytes, or undefined. */
  nextResend(max: number): Resend | undefined {
    const r = this.resends[0];
    if (!r || max <= 0) return undefined;
    if (r.data.length <= max) return this.resends.shift();
    const piece = { offset: r.offset, data: r.data.subarray(0, max) };
    r.offset += max;
    r.data = r.data.subarray(max);
    return piece;
  }

  /** Forgets every buffer (the stream closed). */
  release(): void {
    this.queue = [];
    this.queued = 0;
    this.resends = [];
  }
}

/** Windows only grow (RFC 29); values past 2^53 are as good as unlimited. */
export function raise(current: number, offered: bigint): number {
  const n = offered > 9007199254740991n ? Number.MAX_SAFE_INTEGER : Number(offered);
  return n > current ? n : current;
}
