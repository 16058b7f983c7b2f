import { createHash } from 'node:crypto';
import { FINGERPRINT_SIZE, ID_SIZE } from './protocol';
import { addId, subtractToBytes } from './sum256';
import { encodeVarint } from './varint';

/** The fingerprint of a range: the first 16 bytes of sha256(sum of its ids mod 2^256, little-endian ‖ varint(count)). */
export function fingerprintOf(sum: Uint8Array, count: number): Uint8Array {
  if (sum.length !== ID_SIZE) throw new RangeError('the sum must be 32 bytes');
  return new Uint8Array(createHash('sha256').update(sum).update(encodeVarint(count)).digest().subarray(0, FINGERPRINT_SIZE));
}

/** Adds ids one at a time and gives the fingerprint of what it holds; the reference for the prefix sums of ItemSet. */
export class Accumulator {
  private readonly words = new Uint32Array(8);
  private static readonly ZERO = new Uint32Array(8);
  count = 0;

  add(id: Uint8Array): this {
    if (id.length !== ID_SIZE) throw new RangeError('an id must be 32 bytes');
    addId(this.words, 0, this.words, 0, id, 0);
    this.count++;
    return this;
  }

  /** The sum mod 2^256, 32 bytes little-endian. */
  sum(): Uint8Array {
    return subtractToBytes(this.words, 0, Accumulator.ZERO, 0);
  }

  fingerprint(): Uint8Array {
    return fingerprintOf(this.sum(), this.count);
  }
}
