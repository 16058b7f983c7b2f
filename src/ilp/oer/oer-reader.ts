import { OerError } from './oer-error';
import { ILP_TIMESTAMP_LENGTH, parseIlpTimestamp } from './ilp-timestamp';
import { parseGeneralizedTime } from './generalized-time';

const UTF8 = new TextDecoder();
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Cursor over a byte range. Nested readers (see `varContents`) share the outer buffer, so error
 * offsets always point into the bytes the caller passed in. Octet strings are returned as copies:
 * uWebSockets.js only lends its message buffers for the duration of the callback.
 */
export class OerReader {
  private position: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  fail(reason: string, at = this.position): never {
    throw new OerError(reason, at);
  }

  /** For envelopes: anything after the declared length is not part of the packet. */
  expectEnd(what: string): void {
    if (this.remaining > 0) this.fail(`${this.remaining} trailing bytes after ${what}`);
  }

  uint8(): number {
    return this.bytes[this.advance(1, 'UInt8')];
  }

  uint16(): number {
    const at = this.advance(2, 'UInt16');
    return (this.bytes[at] << 8) | this.bytes[at + 1];
  }

  uint32(): number {
    const at = this.advance(4, 'UInt32');
    return this.bytes[at] * 2 ** 24 + ((this.bytes[at + 1] << 16) | (this.bytes[at + 2] << 8) | this.bytes[at + 3]);
  }

  uint64(): bigint {
    return this.bigEndian(this.advance(8, 'UInt64'), 8);
  }

  octets(length: number): Uint8Array {
    const at = this.advance(length, `${length}-byte octet string`);
    return new Uint8Array(this.bytes.subarray(at, at + length));
  }

  /** OER length determinant; the long form must be minimal (RFC 30 "Length determinant"). Not checked against the input here. */
  lengthPrefix(): number {
    const start = this.position;
    const first = this.uint8();
    if (first < 0x80) return first;
    const lengthOfLength = first & 0x7f;
    if (lengthOfLength === 0 || lengthOfLength > 8) this.fail(`invalid length-of-length ${lengthOfLength}`, start);
    const length = this.bigEndian(this.advance(lengthOfLength, 'length determinant'), lengthOfLength);
    if (this.bytes[start + 1] === 0 || length < 128n) this.fail('non-canonical length determinant', start);
    return Number(length);
  }

  varOctets(): Uint8Array {
    return this.octets(this.lengthPrefix());
  }

  /** A reader over the contents of a variable-length octet string, without copying. */
  varContents(): OerReader {
    const length = this.lengthPrefix();
    const start = this.advance(length, 'contents');
    return new OerReader(this.bytes, start, start + length);
  }

  /** VarUInt of 1..8 bytes. Leading zeros are tolerated, as oer-utils does. */
  varUint(): bigint {
    const start = this.position;
    const length = this.lengthPrefix();
    if (length === 0 || length > 8) this.fail(`VarUInt of ${length} bytes is not a UInt64`, start);
    return this.bigEndian(this.advance(length, 'VarUInt'), length);
  }

  /** Like varUint, but values wider than 8 bytes become 2^64-1 (ilp-protocol-stream's saturatingReadVarUInt). */
  varUintSaturating(): bigint {
    const start = this.position;
    const length = this.lengthPrefix();
    if (length === 0) this.fail('VarUInt of 0 bytes', start);
    const at = this.advance(length, 'VarUInt');
    return length > 8 ? UINT64_MAX : this.bigEndian(at, length);
  }

  ia5(length: number): string {
    return this.ascii(this.advance(length, `${length}-character IA5String`), length);
  }

  varIa5(): string {
    const length = this.lengthPrefix();
    return this.ascii(this.advance(length, 'IA5String'), length);
  }

  /** Invalid UTF-8 decodes to U+FFFD, as Buffer#toString does in the official codecs. */
  varUtf8(): string {
    const length = this.lengthPrefix();
    const at = this.advance(length, 'UTF8String');
    return UTF8.decode(this.bytes.subarray(at, at + length));
  }

  ilpTimestamp(): Date {
    const start = this.position;
    const text = this.ia5(ILP_TIMESTAMP_LENGTH);
    return parseIlpTimestamp(text) ?? this.fail(`invalid ILP timestamp "${text}"`, start);
  }

  generalizedTime(): Date {
    const start = this.position;
    const text = this.varIa5();
    return parseGeneralizedTime(text) ?? this.fail(`invalid GeneralizedTime "${text}"`, start);
  }

  private advance(length: number, what: string): number {
    if (length > this.remaining) this.fail(`truncated ${what}: need ${length} bytes, have ${this.remaining}`);
    const at = this.position;
    this.position += length;
    return at;
  }

  private bigEndian(at: number, length: number): bigint {
    let value = 0n;
    for (let i = 0; i < length; i++) value = (value << 8n) | BigInt(this.bytes[at + i]);
    return value;
  }

  private ascii(at: number, length: number): string {
    let text = '';
    for (let i = at; i < at + length; i++) {
      const byte = this.bytes[i];
      if (byte > 0x7f) this.fail(`non-ASCII byte 0x${byte.toString(16)} in IA5String`, i);
      text += String.fromCharCode(byte);
    }
    return text;
  }
}
