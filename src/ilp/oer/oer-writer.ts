import { formatIlpTimestamp } from './ilp-timestamp';
import { formatGeneralizedTime } from './generalized-time';

const UTF8 = new TextEncoder();
const UINT64_MAX = (1n << 64n) - 1n;

/** Growable big-endian writer. Out-of-range values are caller bugs and throw RangeError. */
export class OerWriter {
  private buffer = new Uint8Array(128);
  private length = 0;

  uint8(value: number): this {
    checkUint(value, 8);
    this.reserve(1)[this.length++] = value;
    return this;
  }

  uint16(value: number): this {
    checkUint(value, 16);
    const buffer = this.reserve(2);
    buffer[this.length++] = value >>> 8;
    buffer[this.length++] = value & 0xff;
    return this;
  }

  uint32(value: number): this {
    checkUint(value, 32);
    const buffer = this.reserve(4);
    for (let shift = 24; shift >= 0; shift -= 8) buffer[this.length++] = (value >>> shift) & 0xff;
    return this;
  }

  uint64(value: bigint): this {
    checkUint64(value);
    return this.bigEndian(value, 8);
  }

  /** Fixed-length octet string; `length` guards fields like 32-byte conditions. */
  octets(bytes: Uint8Array, length = bytes.length): this {
    if (bytes.length !== length) throw new RangeError(`expected ${length} bytes, got ${bytes.length}`);
    this.reserve(length).set(bytes, this.length);
    this.length += length;
    return this;
  }

  lengthPrefix(length: number): this {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid length ${length}`);
    if (length < 0x80) return this.uint8(length);
    const size = byteLength(BigInt(length));
    return this.uint8(0x80 | size).bigEndian(BigInt(length), size);
  }

  varOctets(bytes: Uint8Array): this {
    return this.lengthPrefix(bytes.length).octets(bytes);
  }

  /** Minimal big-endian bytes; zero is one 0x00 byte (`01 00`). */
  varUint(value: bigint): this {
    checkUint64(value);
    const size = byteLength(value);
    return this.lengthPrefix(size).bigEndian(value, size);
  }

  ia5(text: string, length = text.length): this {
    if (text.length !== length) throw new RangeError(`expected ${length} characters, got "${text}"`);
    return this.octets(ascii(text));
  }

  varIa5(text: string): this {
    return this.varOctets(ascii(text));
  }

  varUtf8(text: string): this {
    return this.varOctets(UTF8.encode(text));
  }

  ilpTimestamp(date: Date): this {
    return this.octets(ascii(formatIlpTimestamp(date)));
  }

  generalizedTime(date: Date): this {
    return this.varIa5(formatGeneralizedTime(date));
  }

  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private bigEndian(value: bigint, size: number): this {
    const buffer = this.reserve(size);
    for (let i = size - 1; i >= 0; i--) {
      buffer[this.length + i] = Number(value & 0xffn);
      value >>= 8n;
    }
    this.length += size;
    return this;
  }

  private reserve(size: number): Uint8Array {
    if (this.length + size > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + size));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    return this.buffer;
  }
}

function byteLength(value: bigint): number {
  let size = 1;
  while (value > 0xffn) {
    value >>= 8n;
    size++;
  }
  return size;
}

function checkUint(value: number, bits: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${value} is not a UInt${bits}`);
  }
}

function checkUint64(value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new RangeError(`${String(value)} is not a UInt64`);
  }
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new RangeError(`non-ASCII character in IA5String "${text}"`);
    bytes[i] = code;
  }
  return bytes;
}
