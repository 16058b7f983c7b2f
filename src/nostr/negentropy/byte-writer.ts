/** A growable byte buffer for building one outgoing message. */
export class ByteWriter {
  private buf = new Uint8Array(512);
  private len = 0;

  get length(): number {
    return this.len;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** A varint (see varint.ts), written in place. */
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
    let digits = 1;
    for (let m = Math.floor(n / 128); m > 0; m = Math.floor(m / 128)) digits++;
    this.reserve(digits);
    for (let i = digits - 1; i >= 0; i--) {
      this.buf[this.len + i] = (n % 128) | (i === digits - 1 ? 0 : 0x80);
      n = Math.floor(n / 128);
    }
    this.len += digits;
  }

  /** Drops everything written after `length` (a range that would not fit in the frame). */
  truncate(length: number): void {
    if (length > this.len) throw new RangeError('cannot truncate forwards');
    this.len = length;
  }

  /** A copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
