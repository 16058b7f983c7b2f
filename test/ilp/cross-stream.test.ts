// STREAM packets, frames and crypto against ilp-protocol-stream over seeded random packets.
import { describe, expect, it } from 'vitest';
import {
  conditionFromFulfillment,
  decodeStreamPacket,
  decrypt,
  encodeStreamPacket,
  encrypt,
  fulfillmentFromData,
  generateSharedSecretFromToken,
  OerReader,
  OerWriter,
  streamEncryptionKey,
  StreamFrameType as T,
  type StreamFrame,
  type StreamPacket,
} from '../../src/ilp';
import { Long, StreamCrypto, StreamPacket as Official } from './official';
import { hex, Rng } from './random';

const RUNS = 500;
const FRAME_TYPES = Object.values(T);
const UINT64_MAX = 2n ** 64n - 1n;

function randomFrame(rng: Rng): StreamFrame {
  const type = rng.pick(FRAME_TYPES);
  const streamId = rng.uint64();
  switch (type) {
    case T.ConnectionClose:
      return { type, errorCode: rng.int(0, 255), errorMessage: rng.utf8() };
    case T.ConnectionNewAddress:
      return { type, sourceAccount: rng.address() };
    case T.ConnectionMaxData:
    case T.ConnectionDataBlocked:
      return { type, maxOffset: rng.uint64() };
    case T.ConnectionMaxStreamId:
    case T.ConnectionStreamIdBlocked:
      return { type, maxStreamId: rng.uint64() };
    case T.ConnectionAssetDetails:
      return { type, sourceAssetCode: rng.utf8(6), sourceAssetScale: rng.int(0, 255) };
    case T.StreamClose:
      return { type, streamId, errorCode: rng.int(0, 255), errorMessage: rng.utf8() };
    case T.StreamMoney:
      return { type, streamId, shares: rng.uint64() };
    case T.StreamMaxMoney:
      return { type, streamId, receiveMax: rng.uint64(), totalReceived: rng.uint64() };
    case T.StreamMoneyBlocked:
      return { type, streamId, sendMax: rng.uint64(), totalSent: rng.uint64() };
    case T.StreamData:
      return { type, streamId, offset: rng.uint64(), data: rng.data(2000) };
    case T.StreamMaxData:
    case T.StreamDataBlocked:
      return { type, streamId, maxOffset: rng.uint64() };
    case T.StreamReceipt:
      return { type, streamId, receipt: rng.bytes(rng.pick([0, 58, rng.int(0, 200)])) };
  }
}

function randomPacket(rng: Rng): StreamPacket {
  return {
    ilpPacketType: rng.pick([12, 13, 14] as const),
    sequence: rng.uint64(),
    prepareAmount: rng.uint64(),
    frames: Array.from({ length: rng.int(0, 8) }, () => randomFrame(rng)),
  };
}

/** ilp-protocol-stream's frame object as one of ours: Long → bigint, Buffer → Uint8Array, `name` dropped. */
function fromOfficialFrame(frame: Record<string, unknown>): StreamFrame {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(frame)) {
    if (key === 'name') continue;
    fields[key] = Long.isLong(value) ? BigInt(String(value)) : Buffer.isBuffer(value) ? new Uint8Array(value) : value;
  }
  return fields as unknown as StreamFrame;
}

function fromOfficialPacket(packet: { ilpPacketType: number; sequence: unknown; prepareAmount: unknown; frames: Record<string, unknown>[] }) {
  return {
    ilpPacketType: packet.ilpPacketType,
    sequence: BigInt(String(packet.sequence)),
    prepareAmount: BigInt(String(packet.prepareAmount)),
    frames: packet.frames.map(fromOfficialFrame),
  };
}

/** One of our frames built with ilp-protocol-stream's classes (which take UInt64s as decimal strings). */
function toOfficialFrame(frame: StreamFrame) {
  const s = (value: bigint) => value.toString();
  switch (frame.type) {
    case T.ConnectionClose:
      return new Official.ConnectionCloseFrame(frame.errorCode, frame.errorMessage);
    case T.ConnectionNewAddress:
      return new Official.ConnectionNewAddressFrame(frame.sourceAccount);
    case T.ConnectionMaxData:
      return new Official.ConnectionMaxDataFrame(s(frame.maxOffset));
    case T.ConnectionDataBlocked:
      return new Official.ConnectionDataBlockedFrame(s(frame.maxOffset));
    case T.ConnectionMaxStreamId:
      return new Official.ConnectionMaxStreamIdFrame(s(frame.maxStreamId));
    case T.ConnectionStreamIdBlocked:
      return new Official.ConnectionStreamIdBlockedFrame(s(frame.maxStreamId));
    case T.ConnectionAssetDetails:
      return new Official.ConnectionAssetDetailsFrame(frame.sourceAssetCode, frame.sourceAssetScale);
    case T.StreamClose:
      return new Official.StreamCloseFrame(s(frame.streamId), frame.errorCode, frame.errorMessage);
    case T.StreamMoney:
      return new Official.StreamMoneyFrame(s(frame.streamId), s(frame.shares));
    case T.StreamMaxMoney:
      return new Official.StreamMaxMoneyFrame(s(frame.streamId), s(frame.receiveMax), s(frame.totalReceived));
    case T.StreamMoneyBlocked:
      return new Official.StreamMoneyBlockedFrame(s(frame.streamId), s(frame.sendMax), s(frame.totalSent));
    case T.StreamData:
      return new Official.StreamDataFrame(s(frame.streamId), s(frame.offset), Buffer.from(frame.data));
    case T.StreamMaxData:
      return new Official.StreamMaxDataFrame(s(frame.streamId), s(frame.maxOffset));
    case T.StreamDataBlocked:
      return new Official.StreamDataBlockedFrame(s(frame.streamId), s(frame.maxOffset));
    case T.StreamReceipt:
      return new Official.StreamReceiptFrame(s(frame.streamId), Buffer.from(frame.receipt));
  }
}

function toOfficialPacket(packet: StreamPacket) {
  return new Official.Packet(
    packet.sequence.toString(),
    packet.ilpPacketType,
    packet.prepareAmount.toString(),
    packet.frames.map(toOfficialFrame),
  );
}

describe('STREAM packets against ilp-protocol-stream', () => {
  it('ours → theirs', () => {
    const rng = new Rng(31);
    for (let i = 0; i < RUNS; i++) {
      const packet = randomPacket(rng);
      const theirs = Official.Packet._deserializeUnencrypted(Buffer.from(encodeStreamPacket(packet)));
      expect(fromOfficialPacket(theirs)).toEqual(packet);
    }
  });

  it('theirs → ours, and ours re-encodes the same bytes', () => {
    const rng = new Rng(32);
    for (let i = 0; i < RUNS; i++) {
      const packet = randomPacket(rng);
      const bytes: Buffer = toOfficialPacket(packet)._serialize();
      expect(decodeStreamPacket(bytes)).toEqual(packet);
      expect(hex(encodeStreamPacket(packet))).toBe(bytes.toString('hex'));
    }
  });

  it('every frame type appears in the random mix', () => {
    const rng = new Rng(31);
    const seen = new Set<number>();
    for (let i = 0; i < RUNS; i++) for (const frame of randomPacket(rng).frames) seen.add(frame.type);
    expect([...seen].sort((a, b) => a - b)).toEqual([...FRAME_TYPES].sort((a, b) => a - b));
  });
});

describe('STREAM forward compatibility', () => {
  /** A packet written by hand, so it can hold frames neither codec would write. */
  function rawPacket(rng: Rng, frames: [number, Uint8Array][]): Uint8Array {
    const writer = new OerWriter().uint8(1).uint8(12).varUint(rng.uint64()).varUint(rng.uint64()).varUint(BigInt(frames.length));
    for (const [type, contents] of frames) writer.uint8(type).varOctets(contents);
    return writer.toBytes();
  }

  /** A random known frame as type and contents, cut from a one-frame packet after its 8-byte header and type byte. */
  const knownFrame = (rng: Rng): [number, Uint8Array] => {
    const frame = randomFrame(rng);
    const bytes = encodeStreamPacket({ ilpPacketType: 12, sequence: 0n, prepareAmount: 0n, frames: [frame] });
    return [frame.type, new OerReader(bytes, 9).varOctets()];
  };

  it('unknown frame types are skipped, as ilp-protocol-stream skips them', () => {
    const rng = new Rng(33);
    const known = new Set<number>(FRAME_TYPES);
    for (let i = 0; i < RUNS; i++) {
      const frames = Array.from({ length: rng.int(1, 6) }, (): [number, Uint8Array] => {
        if (rng.chance(0.5)) return knownFrame(rng);
        let type = rng.int(0, 255);
        while (known.has(type)) type = rng.int(0, 255);
        return [type, rng.data(300)];
      });
      const bytes = rawPacket(rng, frames);
      const ours = decodeStreamPacket(bytes);
      expect(ours.frames.map((f) => f.type)).toEqual(frames.map(([type]) => type).filter((type) => known.has(type)));
      expect(ours).toEqual(fromOfficialPacket(Official.Packet._deserializeUnencrypted(Buffer.from(bytes))));
    }
  });

  it('bytes after a frame\'s known fields are ignored by both', () => {
    const rng = new Rng(34);
    for (let i = 0; i < RUNS; i++) {
      const [type, contents] = knownFrame(rng);
      const bytes = rawPacket(rng, [[type, new Uint8Array(Buffer.concat([contents, rng.bytes(rng.int(1, 20))]))]]);
      expect(decodeStreamPacket(bytes)).toEqual(fromOfficialPacket(Official.Packet._deserializeUnencrypted(Buffer.from(bytes))));
    }
  });

  it('receiveMax and sendMax wider than 8 bytes saturate to 2^64-1, as in ilp-protocol-stream', () => {
    const rng = new Rng(35);
    for (let i = 0; i < RUNS; i++) {
      const huge = new Uint8Array([rng.int(1, 255), ...rng.bytes(rng.int(8, 24))]);
      const type = rng.pick([T.StreamMaxMoney, T.StreamMoneyBlocked]);
      const contents = new OerWriter().varUint(rng.uint64()).varOctets(huge).varUint(rng.uint64()).toBytes();
      const bytes = rawPacket(rng, [[type, contents]]);
      const ours = decodeStreamPacket(bytes);
      const frame = ours.frames[0];
      expect(frame.type === T.StreamMaxMoney ? frame.receiveMax : frame.type === T.StreamMoneyBlocked && frame.sendMax).toBe(UINT64_MAX);
      expect(ours).toEqual(fromOfficialPacket(Official.Packet._deserializeUnencrypted(Buffer.from(bytes))));
    }
  });

  it('an unlimited receiveMax from ilp-protocol-stream (Infinity) arrives as 2^64-1', () => {
    const frame = new Official.StreamMaxMoneyFrame(1, Infinity, 0);
    const bytes: Buffer = new Official.Packet(0, 12, 0, [frame])._serialize();
    expect(decodeStreamPacket(bytes).frames).toEqual([{ type: T.StreamMaxMoney, streamId: 1n, receiveMax: UINT64_MAX, totalReceived: 0n }]);
  });
});

describe('STREAM crypto against ilp-protocol-stream', () => {
  it('derives the same shared secret, encryption key, fulfillment and condition', async () => {
    const rng = new Rng(36);
    for (let i = 0; i < RUNS; i++) {
      const serverSecret = rng.bytes(32);
      const token = rng.bytes(rng.int(18, 80));
      const sharedSecret = generateSharedSecretFromToken(serverSecret, token);
      expect(hex(sharedSecret)).toBe(hex(StreamCrypto.generateSharedSecretFromToken(Buffer.from(serverSecret), Buffer.from(token))));

      const key: Buffer = await StreamCrypto.generatePskEncryptionKey(Buffer.from(sharedSecret));
      expect(hex(streamEncryptionKey(sharedSecret))).toBe(key.toString('hex'));

      const data = rng.data();
      const fulfillment = fulfillmentFromData(sharedSecret, data);
      const fulfillmentKey = await StreamCrypto.generateFulfillmentKey(Buffer.from(sharedSecret));
      const theirs: Buffer = await StreamCrypto.generateFulfillment(fulfillmentKey, Buffer.from(data));
      expect(hex(fulfillment)).toBe(theirs.toString('hex'));
      expect(hex(conditionFromFulfillment(fulfillment))).toBe((await StreamCrypto.hash(theirs)).toString('hex'));
    }
  });

  it('their encrypted (and padded) packets decrypt and decode with ours', async () => {
    const rng = new Rng(37);
    for (let i = 0; i < RUNS; i++) {
      const key = streamEncryptionKey(rng.bytes(32));
      const packet = randomPacket(rng);
      const official = toOfficialPacket(packet);
      const padTo = rng.chance(0.5) ? official.byteLength() + rng.int(0, 500) : undefined;
      const data: Buffer = await official.serializeAndEncrypt(Buffer.from(key), padTo);
      if (padTo !== undefined) expect(data.length).toBe(padTo);
      const plaintext = decrypt(key, data);
      expect(plaintext).toBeDefined();
      expect(decodeStreamPacket(plaintext!)).toEqual(packet);
    }
  });

  it('our encrypted packets decrypt and decode with theirs', async () => {
    const rng = new Rng(38);
    for (let i = 0; i < RUNS; i++) {
      const key = streamEncryptionKey(rng.bytes(32));
      const packet = randomPacket(rng);
      const theirs = await Official.Packet.decryptAndDeserialize(Buffer.from(key), Buffer.from(encrypt(key, encodeStreamPacket(packet))));
      expect(fromOfficialPacket(theirs)).toEqual(packet);
    }
  });

  it('both refuse a flipped bit or the wrong key', async () => {
    const rng = new Rng(39);
    for (let i = 0; i < 100; i++) {
      const key = streamEncryptionKey(rng.bytes(32));
      const data = encrypt(key, rng.data());
      const tampered = data.slice();
      tampered[rng.int(0, tampered.length - 1)] ^= 1 << rng.int(0, 7);
      const otherKey = streamEncryptionKey(rng.bytes(32));
      for (const [k, d] of [[key, tampered], [otherKey, data]]) {
        expect(decrypt(k, d)).toBeUndefined();
        await expect(StreamCrypto.decrypt(Buffer.from(k), Buffer.from(d))).rejects.toThrow();
      }
    }
  });
});
