// BTP 2.0 against btp-packet over seeded random packets. btp-packet only knows types 1, 2, 6 and 7.
import { describe, expect, it } from 'vitest';
import {
  BtpMessageType,
  btpAuthMessage,
  decodeBtpPacket,
  encodeBtpPacket,
  readBtpAuth,
  type BtpPacket,
  type ProtocolDataEntry,
} from '../../src/ilp';
import { BtpPacket as Official } from './official';
import { hex, Rng } from './random';

const RUNS = 500;
const utf8 = new TextEncoder();

function randomProtocolData(rng: Rng): ProtocolDataEntry[] {
  return Array.from({ length: rng.int(0, 5) }, () => ({
    protocolName: rng.chance(0.3) ? rng.pick(['ilp', 'auth', 'auth_token', 'payment-channel-claim']) : rng.ascii(rng.int(0, 20)),
    contentType: rng.chance(0.8) ? rng.int(0, 2) : rng.int(0, 255),
    data: rng.data(),
  }));
}

/** Types btp-packet can read and write; Error data is a UTF-8 string there. */
function randomSharedPacket(rng: Rng): BtpPacket {
  const requestId = rng.uint32();
  const protocolData = randomProtocolData(rng);
  switch (rng.pick([1, 2, 6, 7])) {
    case 1:
      return { type: BtpMessageType.Response, requestId, protocolData };
    case 6:
      return { type: BtpMessageType.Message, requestId, protocolData };
    case 7:
      return { type: BtpMessageType.Transfer, requestId, amount: rng.uint64(), protocolData };
    default:
      return {
        type: BtpMessageType.Error,
        requestId,
        code: rng.pick(['T00', 'F00', 'F01', 'F08', rng.ascii(3)]),
        name: rng.ascii(rng.int(0, 30)),
        triggeredAt: rng.date(),
        data: utf8.encode(rng.utf8()),
        protocolData,
      };
  }
}

/** Our packet in btp-packet's shape. */
function toOfficial(packet: BtpPacket) {
  const protocolData = packet.protocolData.map((entry) => ({ ...entry, data: Buffer.from(entry.data) }));
  const { type, requestId } = packet;
  switch (packet.type) {
    case BtpMessageType.Transfer:
      return { type, requestId, data: { amount: packet.amount.toString(), protocolData } };
    case BtpMessageType.Error: {
      const { code, name, triggeredAt } = packet;
      return { type, requestId, data: { code, name, triggeredAt, data: Buffer.from(packet.data).toString('utf8'), protocolData } };
    }
    default:
      return { type, requestId, data: { protocolData } };
  }
}

describe('BTP against btp-packet', () => {
  it('ours → btp-packet', () => {
    const rng = new Rng(21);
    for (let i = 0; i < RUNS; i++) {
      const packet = randomSharedPacket(rng);
      expect(Official.deserialize(Buffer.from(encodeBtpPacket(packet)))).toEqual(toOfficial(packet));
    }
  });

  it('btp-packet → ours, and ours re-encodes the same bytes', () => {
    const rng = new Rng(22);
    for (let i = 0; i < RUNS; i++) {
      const packet = randomSharedPacket(rng);
      const bytes: Buffer = Official.serialize(toOfficial(packet));
      expect(decodeBtpPacket(bytes)).toEqual(packet);
      expect(hex(encodeBtpPacket(packet))).toBe(bytes.toString('hex'));
    }
  });

  it('every type appears in the random mix', () => {
    const rng = new Rng(21);
    const types = new Set(Array.from({ length: RUNS }, () => randomSharedPacket(rng).type));
    expect([...types].sort()).toEqual([1, 2, 6, 7]);
  });
});

describe('BTP Prepare, Fulfill and Reject (RFC 23 ASN.1, not in btp-packet)', () => {
  it('round-trip through our codec', () => {
    const rng = new Rng(23);
    for (let i = 0; i < RUNS; i++) {
      const requestId = rng.uint32();
      const transferId = rng.bytes(16);
      const protocolData = randomProtocolData(rng);
      const packets: BtpPacket[] = [
        {
          type: BtpMessageType.Prepare,
          requestId,
          transferId,
          amount: rng.uint64(),
          executionCondition: rng.bytes(32),
          expiresAt: rng.date(),
          protocolData,
        },
        { type: BtpMessageType.Fulfill, requestId, transferId, fulfillment: rng.bytes(32), protocolData },
        { type: BtpMessageType.Reject, requestId, transferId, protocolData },
      ];
      for (const packet of packets) expect(decodeBtpPacket(encodeBtpPacket(packet))).toEqual(packet);
    }
  });

  it('lay out the fixed fields in ASN.1 order', () => {
    const rng = new Rng(24);
    const transferId = rng.bytes(16);
    const fulfillment = rng.bytes(32);
    const bytes = encodeBtpPacket({ type: BtpMessageType.Fulfill, requestId: 7, transferId, fulfillment, protocolData: [] });
    // type, requestId, length, transferId, fulfillment, empty protocolData
    expect(hex(bytes)).toBe(`040000000732${hex(transferId)}${hex(fulfillment)}0100`);
  });
});

describe('BTP auth', () => {
  it('reads what ilp-plugin-btp sends, and builds the same bytes', () => {
    const rng = new Rng(25);
    for (let i = 0; i < 50; i++) {
      const requestId = rng.uint32();
      const username = rng.ascii(rng.int(0, 12));
      const token = rng.utf8(20);
      // ilp-plugin-btp's handshake: auth (octet-stream, empty), then auth_username and auth_token as text.
      const theirs: Buffer = Official.serializeMessage(requestId, [
        { protocolName: 'auth', contentType: Official.MIME_APPLICATION_OCTET_STREAM, data: Buffer.alloc(0) },
        { protocolName: 'auth_username', contentType: Official.MIME_TEXT_PLAIN_UTF8, data: Buffer.from(username) },
        { protocolName: 'auth_token', contentType: Official.MIME_TEXT_PLAIN_UTF8, data: Buffer.from(token) },
      ]);
      expect(readBtpAuth(decodeBtpPacket(theirs))).toEqual({ username, token });
      expect(hex(encodeBtpPacket(btpAuthMessage(requestId, { username, token })))).toBe(theirs.toString('hex'));
    }
  });

  it('needs a Message whose first entry is auth and that carries auth_token', () => {
    const auth = btpAuthMessage(1, { token: '' });
    expect(readBtpAuth(auth)).toEqual({ token: '' });
    expect(readBtpAuth({ ...auth, type: BtpMessageType.Response })).toBeUndefined();
    expect(readBtpAuth({ ...auth, protocolData: auth.protocolData.slice(1) })).toBeUndefined();
    expect(readBtpAuth({ ...auth, protocolData: auth.protocolData.slice(0, 1) })).toBeUndefined();
  });
});
