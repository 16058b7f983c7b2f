// Inputs the fuzzers found, kept as plain cases. Each failed before its fix.
import { describe, expect, it } from 'vitest';
import {
  decodeBtpPacket,
  decodeIlpPacket,
  decodeReject,
  encodeBtpPacket,
  encodeIlpPacket,
  encodeReject,
  MAX_MESSAGE_LENGTH,
  OerError,
  OerWriter,
  parseGeneralizedTime,
} from '../../src/ilp';
import { fromHex } from '../ilp/vectors';

const rejectWithMessage = (message: Uint8Array) =>
  new OerWriter()
    .uint8(14)
    .varOctets(new OerWriter().ia5('F99', 3).varIa5('g.bob').varOctets(message).varOctets(new Uint8Array(0)).toBytes())
    .toBytes();

describe('ILP Reject message of invalid UTF-8', () => {
  // Found by `ilp` case 161 (seed 1): each invalid byte decodes to U+FFFD, three bytes when encoded again, so a
  // Reject a peer sends could not be forwarded (encodeReject threw RangeError, in a promise callback of the BTP server).
  it('a decoded Reject always encodes again, its message cut to the limit', () => {
    const reject = decodeReject(rejectWithMessage(new Uint8Array(MAX_MESSAGE_LENGTH).fill(0xff)));
    const encoded = encodeReject(reject);
    expect(reject.message).toBe('\ufffd'.repeat(Math.floor(MAX_MESSAGE_LENGTH / 3)));
    expect(decodeReject(encoded)).toEqual(reject);
  });

  it('the fuzzer\'s input: mostly 0xc3 without its continuation byte', () => {
    const message = new Uint8Array(0x1ab2).fill(0xc3);
    const packet = decodeIlpPacket(rejectWithMessage(message));
    expect(() => encodeIlpPacket(packet)).not.toThrow();
  });

  it('valid UTF-8 at the limit is kept whole, and a multi-byte character is never split', () => {
    const text = `${'a'.repeat(MAX_MESSAGE_LENGTH - 4)}😀`;
    expect(decodeReject(rejectWithMessage(new TextEncoder().encode(text))).message).toBe(text);
    const over = new Uint8Array([...new TextEncoder().encode('a'.repeat(MAX_MESSAGE_LENGTH - 2)), 0xff]);
    expect(decodeReject(rejectWithMessage(over)).message).toBe('a'.repeat(MAX_MESSAGE_LENGTH - 2));
  });
});

describe('GeneralizedTime leap second at the end of year 9999', () => {
  // Found by `btp` case 5315 (seed 1, FUZZ_SCALE=4): 9999-12-31T23:59:60 rolled into year 10000, which
  // formatGeneralizedTime refuses with RangeError, so a decoded BTP packet could not be encoded again.
  it('is refused as an invalid time, not decoded into year 10000', () => {
    expect(parseGeneralizedTime('99991231235960.999Z')).toBeUndefined();
    expect(parseGeneralizedTime('99991231235959.999Z')?.toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(parseGeneralizedTime('20161231235960Z')?.toISOString()).toBe('2017-01-01T00:00:00.000Z');
  });

  it('the fuzzer\'s BTP Prepare fails with OerError', () => {
    const bytes = fromHex(
      '0300a1b21e4e029822110308f4f203aff734e1edb7a300000000009c2c94e5e2b162e7198c7324345d810f91d7688700783c1f51874f487a7df58b3966781339393939313233313233353936302e3939395a0100',
    );
    expect(() => decodeBtpPacket(bytes)).toThrow(OerError);
  });

  it('the same packet a second earlier decodes and encodes again byte for byte', () => {
    const bytes = fromHex(
      '0300a1b21e4e029822110308f4f203aff734e1edb7a300000000009c2c94e5e2b162e7198c7324345d810f91d7688700783c1f51874f487a7df58b3966781339393939313233313233353935392e3939395a0100',
    );
    expect(encodeBtpPacket(decodeBtpPacket(bytes))).toEqual(bytes);
  });
});
