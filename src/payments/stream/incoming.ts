/** Where a stream's complete lines go. */
export interface LineSink {
  line(text: string): void;
  /** A line longer than the limit was skipped. */
  oversized(bytes: number): void;
}

const NEWLINE = 0x0a;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A client stream's incoming bytes: reassembled by offset (data ahead of the gap kept, at most a window's worth)
 * and cut into `\n`-terminated lines, each handed to the sink in order. Offsets are numbers: 2^53 bytes is never
 * reached.
 */
export class IncomingBytes {
  private consumed = 0;
  private early: Map<number, Uint8Array> | undefined;
  private earlyBytes = 0;
  private partial: Uint8Array[] = [];
  private partialBytes = 0;
  private skipping = false;
  private released = false;

  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number,
    private readonly maxEarlyBytes: number,
  ) {}

  /** Bytes consumed in order. */
  get readOffset(): number {
    return this.consumed;
  }

  /** Takes a StreamData frame's bytes; complete lines go to the sink in order, duplicates are ignored. */
  receive(offset: number, data: Uint8Array): void {
    const end = offset + data.length;
    if (end <= this.consumed || data.length === 0) return;
    if (offset > this.consumed) {
      // Ahead of what we have: keep it (copied, at most a window's worth) until the gap is filled.
      const known = (this.early ??= new Map()).get(offset);
      if (known && known.length >= data.length) return;
      const grow = data.length - (known?.length ?? 0);
      if (this.earlyBytes + grow > this.maxEarlyBytes) return;
      this.early.set(offset, data.slice());
      this.earlyBytes += grow;
      return;
    }
    this.consume(offset < this.consumed ? data.subarray(this.consumed - offset) : data);
    while (this.early && this.early.size > 0 && !this.released) {
      let next: Uint8Array | undefined;
      for (const [at, bytes] of this.early) {
        if (at > this.consumed) continue;
        this.early.delete(at);
        this.earlyBytes -= bytes.length;
        if (at + bytes.length > this.consumed) {
          next = bytes.subarray(this.consumed - at);
          break;
        }
      }
      if (!next) break;
      this.consume(next);
    }
  }

  /** Forgets every buffer (the stream closed). */
  release(): void {
    this.released = true;
    this.partial = [];
    this.partialBytes = 0;
    this.early = undefined;
    this.earlyBytes = 0;
  }

  private consume(chunk: Uint8Array): void {
    this.consumed += chunk.length;
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
      if (this.released) return;
    }
    if (start === chunk.length || this.skipping) return;
    const rest = chunk.length - start;
    if (this.partialBytes + rest > this.maxLineBytes) {
      this.sink.oversized(this.partialBytes + rest);
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
    if (end > this.maxLineBytes) return this.sink.oversized(end);
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(0, end));
    } catch {
      text = '\uFFFD'; // not UTF-8: the relay answers it as invalid JSON
    }
    this.sink.line(text);
  }
}
