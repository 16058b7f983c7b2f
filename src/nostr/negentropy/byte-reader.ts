import { MalformedMessage } from './malformed-message';

/** Reads a received message front to back; every failure is a MalformedMessage naming the byte offset. */
export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  fail(reason: string, offset = this.pos): never {
    throw new MalformedMessage(reason, offset);
  }

  byte(): number {
    if (this.pos >= this.buf.length) this.fail('message ends early');
    return this.buf[this.pos++];
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) this.fail(`message ends early: ${n} bytes wanted, ${this.remaining} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  varint(): number {
    const start = this.pos;
    let n = 0;
    for (;;) {
      const b = this.byte();
      n = n * 128 + (b & 0x7f);
      if (n > Number.MAX_SAFE_INTEGER) this.fail('varint larger than 2^53 - 1', start);
      if ((b & 0x80) === 0) return n;
    }
  }
}
