// Every vector in test/fixtures/ilp-vectors.json: decode gives the fields, encoding the fields gives the bytes.
import { describe, expect, it } from 'vitest';
import {
  BtpMessageType,
  conditionFromFulfillment,
  decodeBtpPacket,
  decodeFulfill,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  decodeStreamPacket,
  decrypt,
  encodeBtpPacket,
  encodeFulfill,
  encodeIlpPacket,
  encodePrepare,
  encodeReject,
  encodeStreamPacket,
  fulfillmentFromData,
  hmacSha256,
  ildcpFulfill,
  ildcpInfoFromFulfill,
  ildcpRequest,
  isIldcpRequest,
  PEER_PROTOCOL_CONDITION,
  streamEncryptionKey,
  StreamFrameType,
  type BtpPacket,
  type ProtocolDataEntry,
} from '../../src/ilp';
import { StreamPacket as OfficialStreamPacket } from './official';
import { hex } from './random';
import { fromBase64, fromHex, vectors } from './vectors';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('ILPv4 vectors', () => {
  for (const vector of vectors.ilpv4) {
    const bytes = fromHex(vector.hex);
    const f = vector.fields;

    it(`${vector.name}: decodes to the fields and encodes back to the bytes`, () => {
      if (vector.type === 'prepare') {
        const expected = {
          amount: BigInt(f.amount),
          expiresAt: new Date(f.expiresAt),
          executionCondition: fromBase64(f.executionCondition),
          destination: f.destination,
          data: fromBase64(f.data),
        };
        expect(decodePrepare(bytes)).toEqual(expected);
        expect(hex(encodePrepare(expected))).toBe(vector.hex);
        expect(decodeIlpPacket(bytes)).toEqual({ type: 12, ...expected });
      } else if (vector.type === 'fulfill') {
        const expected = { fulfillment: fromBase64(f.fulfillment), data: fromBase64(f.data) };
        expect(decodeFulfill(bytes)).toEqual(expected);
        expect(hex(encodeFulfill(expected))).toBe(vector.hex);
        expect(decodeIlpPacket(bytes)).toEqual({ type: 13, ...expected });
      } else {
        const expected = { code: f.code, triggeredBy: f.triggeredBy, message: f.message, data: fromBase64(f.data) };
        expect(decodeReject(bytes)).toEqual(expected);
        expect(hex(encodeReject(expected))).toBe(vector.hex);
        expect(decodeIlpPacket(bytes)).toEqual({ type: 14, ...expected });
      }
      expect(hex(encodeIlpPacket(decodeIlpPacket(bytes)))).toBe(vector.hex);
    });
  }
});

describe('ILDCP vectors', () => {
  it('request: is recognised and built byte for byte', () => {
    const { expiresAt, hex: requestHex } = vectors.ildcp.request;
    const prepare = decodePrepare(fromHex(requestHex));
    expect(isIldcpRequest(prepare)).toBe(true);
    expect(prepare.expiresAt).toEqual(new Date(expiresAt));
    expect(prepare.executionCondition).toEqual(PEER_PROTOCOL_CONDITION);
    expect(hex(encodePrepare(ildcpRequest(new Date(expiresAt))))).toBe(requestHex);
  });

  it('request: another destination or condition is not ILDCP', () => {
    const prepare = decodePrepare(fromHex(vectors.ildcp.request.hex));
    expect(isIldcpRequest({ ...prepare, destination: 'peer.route.control' })).toBe(false);
    expect(isIldcpRequest({ ...prepare, executionCondition: new Uint8Array(32) })).toBe(false);
  });

  it('response: decodes to the info and encodes back to the bytes', () => {
    const { clientAddress, assetScale, assetCode, hex: responseHex } = vectors.ildcp.response;
    const info = { clientAddress, assetScale, assetCode };
    expect(ildcpInfoFromFulfill(decodeFulfill(fromHex(responseHex)))).toEqual(info);
    expect(hex(encodeFulfill(ildcpFulfill(info)))).toBe(responseHex);
  });
});

describe('BTP vectors', () => {
  const { note } = vectors.btp;
  const requestId = Number(/requestId (\d+)/.exec(note)![1]);
  // The note lists the shared protocolData as name/contentType/'data'.
  const protocolData: ProtocolDataEntry[] = [...note.matchAll(/(\w+)\/(\d)\/'([^']*)'/g)].map(([, name, type, data]) => ({
    protocolName: name,
    contentType: Number(type),
    data: utf8(data),
  }));

  it('lists four protocolData entries', () => {
    expect(protocolData.map((entry) => entry.protocolName)).toEqual(['ilp', 'foo', 'beep', 'json']);
  });

  const [, year, month, day, hour, minute, second] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2}\.\d{3})Z/.exec(
    vectors.btp.error.triggeredAt,
  )!;
  const cases: [string, string, BtpPacket][] = [
    ['Response', vectors.btp.response_hex, { type: BtpMessageType.Response, requestId, protocolData }],
    ['Message', vectors.btp.message_hex, { type: BtpMessageType.Message, requestId, protocolData }],
    [
      'Transfer',
      vectors.btp.transfer_hex,
      { type: BtpMessageType.Transfer, requestId, amount: BigInt(vectors.btp.transfer_amount), protocolData },
    ],
    [
      'Error',
      vectors.btp.error_hex,
      {
        type: BtpMessageType.Error,
        requestId,
        code: vectors.btp.error.code,
        name: vectors.btp.error.name,
        triggeredAt: new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`),
        data: utf8(vectors.btp.error.data),
        protocolData,
      },
    ],
  ];
  for (const [name, packetHex, packet] of cases) {
    it(`${name}: decodes to the fields and encodes back to the bytes`, () => {
      expect(decodeBtpPacket(fromHex(packetHex))).toEqual(packet);
      expect(hex(encodeBtpPacket(packet))).toBe(packetHex);
    });
  }
});

describe('STREAM vectors', () => {
  for (const example of vectors.stream.packet_examples) {
    it(`${example.name}: decodes as ilp-protocol-stream does and encodes back`, () => {
      const bytes = fromBase64(example.base64);
      const ours = decodeStreamPacket(bytes);
      const theirs = OfficialStreamPacket.Packet._deserializeUnencrypted(Buffer.from(bytes));
      expect(ours.ilpPacketType).toBe(theirs.ilpPacketType);
      expect(ours.sequence).toBe(BigInt(theirs.sequence.toString()));
      expect(ours.prepareAmount).toBe(BigInt(theirs.prepareAmount.toString()));
      expect(ours.frames.map((frame) => frame.type)).toEqual(theirs.frames.map((frame: { type: number }) => frame.type));
      expect(hex(encodeStreamPacket(ours))).toBe(hex(bytes));
    });
  }

  it('ConnectionClose example carries the code and message in its name', () => {
    const example = vectors.stream.packet_examples.find((e) => e.name.includes('ConnectionClose'))!;
    const [, code, message] = /ConnectionClose\(code (\d+), '([^']*)'\)/.exec(example.name)!;
    expect(decodeStreamPacket(fromBase64(example.base64)).frames).toEqual([
      { type: StreamFrameType.ConnectionClose, errorCode: Number(code), errorMessage: message },
    ]);
  });
});

describe('STREAM crypto vectors', () => {
  const c = vectors.stream.crypto;
  const zeros = new Uint8Array(32);

  it('derives the encryption key', () => {
    expect(Buffer.from(streamEncryptionKey(utf8('foo'))).toString('base64')).toBe(c.hmac_foo_ilp_stream_encryption);
  });

  it('derives the fulfillment through the fulfillment key', () => {
    const data = utf8('some prepare data');
    expect(fulfillmentFromData(utf8('foo'), data)).toEqual(hmacSha256(fromBase64(c.hmac_foo_ilp_stream_fulfillment), data));
  });

  it('computes HMAC-SHA256 and the condition', () => {
    expect(Buffer.from(hmacSha256(zeros, 'foo')).toString('base64')).toBe(c.hmac_key_32x00_msg_foo);
    expect(Buffer.from(conditionFromFulfillment(zeros)).toString('base64')).toBe(c.sha256_32x00);
  });

  it('decrypts iv|tag|ciphertext, and refuses a tampered envelope', () => {
    const key = fromBase64(c.decrypt.key);
    const ciphertext = fromBase64(c.decrypt.ciphertext);
    expect(new TextDecoder().decode(decrypt(key, ciphertext))).toBe(c.decrypt.plaintext);
    for (const index of [0, 12, 28, ciphertext.length - 1]) {
      const tampered = ciphertext.slice();
      tampered[index] ^= 1;
      expect(decrypt(key, tampered)).toBeUndefined();
    }
    expect(decrypt(key, ciphertext.subarray(0, 27))).toBeUndefined();
  });
});
