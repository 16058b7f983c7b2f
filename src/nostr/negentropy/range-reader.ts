import type { Bound } from './bound';
import { ByteReader } from './byte-reader';
import { ID_SIZE } from './protocol';

/** Reads the ranges of one received message, undoing the timestamp deltas (reset at each message). */
export class RangeReader {
  private lastTimestamp = 0;

  constructor(readonly reader: ByteReader) {}

  get done(): boolean {
    return this.reader.remaining === 0;
  }

  bound(): Bound {
    const start = this.reader.offset;
    const encoded = this.reader.varint();
    let timestamp: number;
    if (encoded === 0 || this.lastTimestamp === Infinity) {
      timestamp = Infinity;
    } else {
      // Nostr timestamps are safe integers; a bound beyond them is not one we could answer exactly.
      if (encoded - 1 > Number.MAX_SAFE_INTEGER - this.lastTimestamp) this.reader.fail('bound timestamp larger than 2^53 - 1', start);
      timestamp = this.lastTimestamp + encoded - 1;
    }
    this.lastTimestamp = timestamp;
    const length = this.reader.varint();
    if (length > ID_SIZE) this.reader.fail(`bound id prefix of ${length} bytes is longer than ${ID_SIZE}`, start);
    return { timestamp, prefix: this.reader.bytes(length) };
  }

  varint(): number {
    return this.reader.varint();
  }

  bytes(n: number): Uint8Array {
    return this.reader.bytes(n);
  }
}
