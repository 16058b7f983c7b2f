// Malformed input fails with OerError and a useful offset; tolerated quirks stay tolerated.
import { describe, expect, it } from 'vitest';
import {
  OerError,
  OerWriter,
  decodeBtpPacket,
  decodeFulfill,
  decodeIlpPacket,
  decodePrepare,
  decodeStreamPacket,
  encodeFulfill,
  encodePrepare,
  ildcpFulfill,
  ildcpInfoFromFulfill,
  MAX_DATA_LENGTH,
} from '../../src/ilp';
import { fromBase64, fromHex, oerErrorOf, vectors } from './vectors';

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

const packets: [string, Uint8Array, (bytes: Uint8Array) => unknown][] = [
  ...vectors.ilpv4.map((v): [string, Uint8Array, (bytes: Uint8Array) => unknown] => [v.name, fromHex(v.hex), decodeIlpPacket]),
  ['ILDCP request', fromHex(vectors.ildcp.request.hex), decodeIlpPacket],
  ['ILDCP response', fromHex(vectors.ildcp.response.hex), (bytes) => ildcpInfoFromFulfill(decodeFulfill(bytes))],
  ['BTP Response', fromHex(vectors.btp.response_hex), decodeBtpPacket],
  ['BTP Message', fromHex(vectors.btp.message_hex), decodeBtpPacket],
  ['BTP Transfer', fromHex(vectors.btp.transfer_hex), decodeBtpPacket],
  ['BTP Error', fromHex(vectors.btp.error_hex), decodeBtpPacket],
  ...vectors.stream.packet_examples.map((e): [string, Uint8Array, (bytes: Uint8Array) => unknown] => [
    `STREAM ${e.name}`,
    fromBase64(e.base64),
    decodeStreamPacket,
  ]),
];

describe('truncated input', () => {
  for (const [name, bytes, decode] of packets) {
    it(`${name}: every strict prefix fails within the prefix`, () => {
      for (let length = 0; length < bytes.length; length++) {
        const error = oerErrorOf(() => decode(bytes.subarray(0, length)));
        expect(error.offset).toBeLessThanOrEqual(length);
      }
    });
  }
});

describe('trailing bytes', () => {
  const envelopes = packets.filter(([name]) => !name.startsWith('STREAM') && name !== 'ILDCP response');
  for (const [name, bytes, decode] of envelopes) {
    it(`${name}: a byte after the envelope is refused at its offset`, () => {
      expect(oerErrorOf(() => decode(concat(bytes, new Uint8Array([0])))).offset).toBe(bytes.length);
    });
  }

  it('bytes at the end of the contents are ignored (RFC 30 extensibility)', () => {
    const prepare = fromHex(vectors.ilpv4[0].hex);
    const contents = prepare.subarray(2);
    const extended = new OerWriter().uint8(prepare[0]).varOctets(concat(contents, fromHex('0102'))).toBytes();
    expect(decodePrepare(extended)).toEqual(decodePrepare(prepare));
  });

  it('STREAM padding after the last frame is ignored', () => {
    for (const example of vectors.stream.packet_examples) {
      const bytes = fromBase64(example.base64);
      expect(decodeStreamPacket(concat(bytes, new Uint8Array(100)))).toEqual(decodeStreamPacket(bytes));
    }
  });
});

describe('length prefixes', () => {
  it('a long-form length that fits the short form is refused', () => {
    const fulfill = fromHex(vectors.ilpv4[1].hex);
    const overlong = concat(fulfill.subarray(0, 1), new Uint8Array([0x81]), fulfill.subarray(1));
    expect(oerErrorOf(() => decodeFulfill(overlong))).toMatchObject({ offset: 1 });
  });

  it('a length beyond the input is refused where the contents start', () => {
    const fulfill = fromHex(vectors.ilpv4[1].hex);
    const longer = concat(fulfill.subarray(0, 1), new Uint8Array([fulfill[1] + 1]), fulfill.subarray(2));
    expect(oerErrorOf(() => decodeFulfill(longer))).toMatchObject({ offset: 2, reason: expect.stringMatching(/truncated/) });
  });

  it('a STREAM frame count larger than the input is refused before looping', () => {
    const packet = fromBase64(vectors.stream.packet_examples[0].base64);
    const forged = concat(packet.subarray(0, packet.length - 2), fromHex('04ffffffff'));
    expect(oerErrorOf(() => decodeStreamPacket(forged)).reason).toMatch(/frame count/);
  });
});

describe('field contents', () => {
  const prepare = fromHex(vectors.ilpv4[0].hex);
  const EXPIRES_AT = 10;

  it('a Prepare with month 13 is refused at the timestamp', () => {
    const bad = prepare.slice();
    bad.set(new TextEncoder().encode('13'), EXPIRES_AT + 4);
    expect(oerErrorOf(() => decodePrepare(bad))).toMatchObject({ offset: EXPIRES_AT });
  });

  it('a Prepare with an invalid destination is refused', () => {
    const bad = prepare.slice();
    bad[Buffer.from(prepare).indexOf('alice') + 2] = '!'.charCodeAt(0);
    expect(oerErrorOf(() => decodePrepare(bad)).reason).toMatch(/invalid destination/);
  });

  it('data over 32767 bytes is refused both ways', () => {
    const fulfill = { fulfillment: new Uint8Array(32), data: new Uint8Array(MAX_DATA_LENGTH + 1) };
    expect(() => encodeFulfill(fulfill)).toThrow(RangeError);
    const contents = new OerWriter().octets(fulfill.fulfillment).varOctets(fulfill.data).toBytes();
    const bytes = new OerWriter().uint8(13).varOctets(contents).toBytes();
    expect(oerErrorOf(() => decodeFulfill(bytes)).reason).toMatch(/data longer/);
  });

  it('encoding refuses an invalid destination or a short condition', () => {
    const fields = decodePrepare(prepare);
    expect(() => encodePrepare({ ...fields, destination: 'nope.alice' })).toThrow(RangeError);
    expect(() => encodePrepare({ ...fields, executionCondition: new Uint8Array(31) })).toThrow(RangeError);
  });

  it('an ILDCP response needs the zero fulfillment and a valid address', () => {
    const fulfill = ildcpFulfill({ clientAddress: 'example.client', assetScale: 9, assetCode: 'USD' });
    expect(() => ildcpInfoFromFulfill({ ...fulfill, fulfillment: new Uint8Array(32).fill(1) })).toThrow(OerError);
    const badAddress = new OerWriter().varIa5('nope').uint8(9).varUtf8('USD').toBytes();
    expect(() => ildcpInfoFromFulfill({ ...fulfill, data: badAddress })).toThrow(OerError);
  });
});

describe('unknown types', () => {
  it('an unknown ILP packet type is refused', () => {
    const bytes = fromHex(vectors.ilpv4[1].hex);
    bytes[0] = 15;
    expect(oerErrorOf(() => decodeIlpPacket(bytes))).toMatchObject({ offset: 0 });
    expect(oerErrorOf(() => decodePrepare(fromHex(vectors.ilpv4[1].hex))).reason).toMatch(/expected ILP packet type 12/);
  });

  it('an unknown BTP type is refused', () => {
    const bytes = fromHex(vectors.btp.message_hex);
    bytes[0] = 8;
    expect(oerErrorOf(() => decodeBtpPacket(bytes)).reason).toMatch(/unknown BTP packet type 8/);
  });

  it('a STREAM packet of another version or ILP type is refused', () => {
    const bytes = fromBase64(vectors.stream.packet_examples[0].base64);
    expect(oerErrorOf(() => decodeStreamPacket(concat(new Uint8Array([2]), bytes.subarray(1)))).offset).toBe(0);
    expect(oerErrorOf(() => decodeStreamPacket(concat(bytes.subarray(0, 1), new Uint8Array([15]), bytes.subarray(2)))).offset).toBe(1);
  });
});
