import type { Session } from '../relay/session';
import type { Subscription } from '../relay/session';
import type { StreamConnection } from './stream-connection';
import { INITIAL_REMOTE_WINDOW } from './stream-limits';

/** Where a stream's complete lines go, and where its session's answers are written. */
export interface StreamSink {
  line(stream: PaidStream, text: string): void;
  write(stream: PaidStream, message: string): boolean;
  /** A line longer than the limit was skipped. */
  oversized(stream: PaidStream, bytes: number): void;
}

/** Data that left in a Prepare that failed, to send again at its original offset. */
interface Resend {
  offset: number;
  data: Uint8Array;
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One client stream of a STREAM connection, and the NIP-01 session it carries (its own subscriptions and NIP-42
 * state; events are paid by their authors, as on the WebSocket; per-IP limits count per ILP peer). Incoming bytes
 * are reassembled by offset and cut into lines; outgoing relay messages queue as bytes until the client's windows
 * let them go. Offsets are numbers: 2^53 bytes is never reached.
 */
export class PaidStream implements Session {
  readonly subs = new Map<string, Subscription>();
  /** Session: the per-IP limits' key, the ILP peer the connection's packets come through. */
  readonly ip: string;
  challenge?: string;
  authed?: Set<string>;
  open = true;
  /** Money received on this stream (its share of each packet), reported in StreamMaxMoney. */
  totalReceived = 0n;
  /** The operator connection refuses NIP-01 once per stream. */
  refused = false;

  // incoming
  /** Bytes consumed in order. */
  readOffset = 0;
  private early: Map<number, Uint8Array> | undefined;
  private earlyBytes = 0;
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private skipping = false;

  // outgoing
  /** Next offset to send; bytes below it left in a reply or a Prepare. */
  sentOffset = 0;
  /** The client's StreamMaxData. */
  remoteMax = INITIAL_REMOTE_WINDOW;
  /** Bytes queued and not yet sent. */
  queuedBytes = 0;
  private queue: Uint8Array[] = [];
  private resends: Resend[] = [];

  constructor(
    readonly id: bigint,
    readonly connection: StreamConnection,
    private readonly sink: StreamSink,
    private readonly maxLineBytes: number,
    private readonly maxEarlyBytes: number,
  ) {
    this.ip = `ilp:${connection.peer}`;
  }

  /** Session: a relay message, written as one line. */
  send(message: string): boolean {
    return this.sink.write(this, message);
  }

  // ── incoming ──

  /** Takes a StreamData frame's bytes; complete lines go to the sink in order, duplicates are ignored. */
  receive(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (end <= this.readOffset || data.length === 0) return;
    if (offset > this.readOffset) {
      // Ahead of what we have: keep it (copied, at most a window's worth) until the gap is filled.
      const known = (this.early ??= new Map()).get(offset);
      if (known && known.length >= data.length) return;
      const grow = data.length - (known?.length ?? 0);
      if (this.earlyBytes + grow > this.maxEarlyBytes) return;
      this.early.set(offset, data.slice());
      this.earlyBytes += grow;
      return;
    }
    this.consume(offset < this.readOffset ? data.subarray(this.readOffset - offset) : data);
    while (this.early && this.early.size > 0 && this.open) {
      let next: Uint8Array | undefined;
      for (const [at, bytes] of this.early) {
        if (at > this.readOffset) continue;
        this.early.delete(at);
        this.earlyBytes -= bytes.length;
        if (at + bytes.length > this.readOffset) {
          next = bytes.subarray(this.readOffset - at);
          break;
        }
      }
      if (!next) break;
      this.consume(next);
    }
  }

  private consume(chunk: Uint8Array): void {
    this.readOffset += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      if (this.skipping) {
        this.skipping = false;
      } else if (this.partialBytes === 0) {
        this.emit(chunk.subarray(start, nl));
      } else {
        this.partial.push(chunk.subarray(start, nl));
        const line = Buffer.concat(this.partial, this.partialBytes + nl - start);
        this.partial = [];
        this.partialBytes = 0;
        this.emit(line);
      }
      start = nl + 1;
      if (!this.open) return;
    }
    if (start === chunk.length || this.skipping) return;
    const rest = chunk.length - start;
    if (this.partialBytes + rest > this.maxLineBytes) {
      this.sink.oversized(this, this.partialBytes + rest);
      this.partial = [];
      this.partialBytes = 0;
      this.skipping = true;
      return;
    }
    // Copied: the chunk is a view into a packet buffer we should not keep alive.
    this.partial.push(chunk.slice(start));
    this.partialBytes += rest;
  }

  private emit(bytes: Uint8Array): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--; // tolerate \r\n
    if (end === 0) return;
    if (end > this.maxLineBytes) return this.sink.oversized(this, end);
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(0, end));
    } catch {
      text = '\uFFFD'; // not UTF-8: the relay answers it as invalid JSON
    }
    this.sink.line(this, text);
  }

  // ── outgoing ──

  enqueue(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
  }

  hasOutput(): boolean {
    return this.queuedBytes > 0 || this.resends.length > 0;
  }

  /** The first `n` queued bytes (n ≤ queuedBytes), as one array. */
  take(n: number): Uint8Array {
    this.queuedBytes -= n;
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

  /** Data of a failed Prepare goes out again first, at the same offsets. */
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
    this.open = false;
    this.queue = [];
    this.queuedBytes = 0;
    this.resends = [];
    this.partial = [];
    this.partialBytes = 0;
    this.early = undefined;
    this.earlyBytes = 0;
  }
}
