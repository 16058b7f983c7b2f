import type { Bound } from './bound';
import { ByteWriter } from './byte-writer';

/** A place to come back to when a range turns out not to fit in the frame. */
export interface WriterMark {
  length: number;
  lastTimestamp: number;
}

/**
 * Writes one outgoing message: the version byte, then ranges. Bound timestamps are deltas from the previous
 * bound's (reset at each message), so the writer carries that state and can rewind it with the bytes.
 */
export class RangeWriter {
  private readonly out = new ByteWriter();
  private lastTimestamp = 0;

  constructor(version: number) {
    this.out.byte(version);
  }

  get length(): number {
    return this.out.length;
  }

  bound(b: Bound): void {
    if (b.timestamp === Infinity) {
      this.lastTimestamp = Infinity;
      this.out.varint(0);
    } else {
      if (b.timestamp < this.lastTimestamp) throw new Error('bounds must be written in ascending order');
      this.out.varint(b.timestamp - this.lastTimestamp + 1);
      this.lastTimestamp = b.timestamp;
    }
    this.out.varint(b.prefix.length);
    this.out.bytes(b.prefix);
  }

  varint(n: number): void {
    this.out.varint(n);
  }

  bytes(b: Uint8Array): void {
    this.out.bytes(b);
  }

  mark(): WriterMark {
    return { length: this.out.length, lastTimestamp: this.lastTimestamp };
  }

  rewind(mark: WriterMark): void {
    this.out.truncate(mark.length);
    this.lastTimestamp = mark.lastTimestamp;
  }

  finish(): Uint8Array {
    return this.out.finish();
  }
}
