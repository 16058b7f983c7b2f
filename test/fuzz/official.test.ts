// Differential fuzzing against the interledgerjs codecs: whatever ours decodes, theirs decodes to the same fields.
// (Ours is stricter on purpose: bytes after the envelope, non-ASCII IA5 text and impossible timestamps are refused.)
import { describe, expect, it } from 'vitest';
import {
  BtpMessageType,
  decodeBtpPacket,
  decodeIlpPacket,
  decodeStreamPacket,
  encodeBtpPacket,
  encodeIlpPacket,
  encodeStreamPacket,
  IlpPacketType,
  MAX_MESSAGE_LENGTH,
  OerError,
  type BtpPacket,
} from '../../src/ilp';
import { BtpPacket as OfficialBtp, IlpPacket as Official, Long, StreamPacket as OfficialStream } from '../ilp/official';
import { hex } from '../ilp/random';
import { fromBase64, fromHex, vectors } from '../ilp/vectors';
import { attempt } from './decode';
import { fuzz, runs, timeoutFor } from './fuzz';
import { mutate } from './mutate';
import { rawBtpPacket, rawIlpPacket, randomBtpPacket, randomIlpPacket, randomStreamPacket } from './values';

const RUNS = 2000;

describe('ILPv4 against ilp-packet', () => {
  const pool = vectors.ilpv4.map((v) => fromHex(v.hex));
  it(`${runs(RUNS)} mutated packets: what ours decodes, ilp-packet decodes the same`, () => {
    fuzz('ilp-official', RUNS, (rng, _i, report) => {
      const base = rng.chance(0.2) ? rawIlpPacket(rng) : encodeIlpPacket(randomIlpPacket(rng));
      const bytes = mutate(rng, base, pool);
      report(bytes);
      const ours = attempt(decodeIlpPacket, bytes);
      let theirs: any; // ilp-packet is untyped
      try {
        theirs = Official.deserializeIlpPacket(Buffer.from(bytes));
      } catch (e) {
        theirs = e;
      }
      if (ours instanceof OerError) return;
      expect(theirs).not.toBeInstanceOf(Error);
      expect(theirs.type).toBe(ours.type);
      const d = theirs.data;
      if (ours.type === IlpPacketType.Prepare) {
        // ilp-packet reads years 0000-0099 as 1900-1999 (Date.UTC); ours keeps them
        const time = (t: Date) => (ours.expiresAt.getUTCFullYear() < 100 ? 0 : t.getTime());
        expect([d.amount, time(d.expiresAt), hex(d.executionCondition), d.destination, hex(d.data)]).toEqual([ours.amount.toString(), time(ours.expiresAt), hex(ours.executionCondition), ours.destination, hex(ours.data)]);
      } else if (ours.type === IlpPacketType.Fulfill) {
        expect([hex(d.fulfillment), hex(d.data)]).toEqual([hex(ours.fulfillment), hex(ours.data)]);
      } else {
        // ours cuts a message whose invalid bytes, as U+FFFD, would not fit the limit again (decode-ilp-packet.ts)
        const same = d.message.startsWith(ours.message) && (d.message.length === ours.message.length || Buffer.byteLength(d.message) > MAX_MESSAGE_LENGTH);
        expect(same, 'message').toBe(true);
        expect([d.code, d.triggeredBy, hex(d.data)]).toEqual([ours.code, ours.triggeredBy, hex(ours.data)]);
      }
    });
  }, timeoutFor(RUNS));
});

/** ilp-protocol-stream's values in our shapes: Long → bigint, Buffer → Uint8Array, `name` dropped. */
function plain(value: unknown): unknown {
  if (Long.isLong(value)) return BigInt(String(value));
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'name').map(([key, v]) => [key, plain(v)]));
  }
  return value;
}

describe('STREAM against ilp-protocol-stream', () => {
  const pool = vectors.stream.packet_examples.map((e) => fromBase64(e.base64));
  it(`${runs(RUNS)} mutated packets: what ours decodes, ilp-protocol-stream decodes the same`, () => {
    fuzz('stream-official', RUNS, (rng, _i, report) => {
      const bytes = mutate(rng, encodeStreamPacket(randomStreamPacket(rng)), pool);
      report(bytes);
      const ours = attempt(decodeStreamPacket, bytes);
      if (ours instanceof OerError) return;
      const theirs = OfficialStream.Packet._deserializeUnencrypted(Buffer.from(bytes));
      expect(plain({ ilpPacketType: theirs.ilpPacketType, sequence: theirs.sequence, prepareAmount: theirs.prepareAmount, frames: theirs.frames })).toEqual(ours);
    });
  }, timeoutFor(RUNS));
});

/** Our packet as btp-packet shows it (it knows types 1, 2, 6 and 7; Error data as UTF-8 text). */
function asOfficialBtp(packet: BtpPacket) {
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
  const pool = [vectors.btp.response_hex, vectors.btp.message_hex, vectors.btp.transfer_hex, vectors.btp.error_hex].map(fromHex);
  const shared = new Set<number>([BtpMessageType.Response, BtpMessageType.Error, BtpMessageType.Message, BtpMessageType.Transfer]);
  it(`${runs(RUNS)} mutated frames: what ours decodes, btp-packet decodes the same`, () => {
    fuzz('btp-official', RUNS, (rng, _i, report) => {
      const base = rng.chance(0.2) ? rawBtpPacket(rng) : encodeBtpPacket(randomBtpPacket(rng));
      const bytes = mutate(rng, base, pool);
      report(bytes);
      const ours = attempt(decodeBtpPacket, bytes);
      if (ours instanceof OerError || !shared.has(ours.type)) return;
      const theirs = OfficialBtp.deserialize(Buffer.from(bytes));
      // btp-packet reads only GeneralizedTimes with three fraction digits (an Invalid Date otherwise); ours takes 0 to 3
      if (Number.isNaN(theirs.data.triggeredAt?.getTime())) theirs.data.triggeredAt = (ours as { triggeredAt: Date }).triggeredAt;
      expect(theirs).toEqual(asOfficialBtp(ours));
    });
  }, timeoutFor(RUNS));
});
