// Fuzzes the pure codecs with random bytes and mutated valid encodings (vectors and encoder output). Each input
// either decodes to a value that re-encodes canonically (and decodes back to the same value), or fails with OerError.
// FUZZ_SEED, FUZZ_SCALE, FUZZ_RUNS and FUZZ_CASE: see ./fuzz.ts.
import { describe, expect, it } from 'vitest';
import {
  decodeAmountTooLargeData,
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
  encodeStreamPacket,
  encrypt,
  ildcpFulfill,
  ildcpInfoFromFulfill,
  isIldcpRequest,
  IlpPacketType,
  OerError,
  OerReader,
  OerWriter,
  streamEncryptionKey,
} from '../../src/ilp';
import type { Rng } from '../ilp/random';
import { fromBase64, fromHex, vectors } from '../ilp/vectors';
import { attempt, Outcomes } from './decode';
import { fuzz, runs, timeoutFor } from './fuzz';
import { mutate, randomInput } from './mutate';
import { rawBtpPacket, rawIlpPacket, randomBtpPacket, randomIlpPacket, randomStreamPacket } from './values';

const RUNS = 3000;

/**
 * A mutated vector, encoder output or raw encoding, or now and then plain random bytes. `canonical` is set when the
 * bytes are unmutated encoder output, which must come back byte for byte.
 */
function input(
  rng: Rng,
  vectorPool: readonly Uint8Array[],
  sources: { encoded: () => Uint8Array; raw?: () => Uint8Array },
  typeBytes: readonly number[],
) {
  const from = vectorPool.length > 0 && rng.chance(0.25) ? 'vector' : sources.raw && rng.chance(0.2) ? 'raw' : 'encoded';
  const base = from === 'vector' ? rng.pick(vectorPool) : from === 'raw' ? sources.raw!() : sources.encoded();
  const roll = rng.int(0, 19);
  if (roll === 0) return { bytes: base, canonical: from === 'encoded' };
  if (roll <= 3) return { bytes: randomInput(rng, typeBytes), canonical: false };
  return { bytes: mutate(rng, base, vectorPool), canonical: false };
}

describe('ILPv4 packets', () => {
  const pool = [...vectors.ilpv4.map((v) => fromHex(v.hex)), fromHex(vectors.ildcp.request.hex), fromHex(vectors.ildcp.response.hex)];

  it(`${runs(RUNS)} random and mutated packets: OerError or a canonical round trip`, () => {
    const outcomes = new Outcomes();
    fuzz('ilp', RUNS, (rng, _i, report) => {
      const { bytes, canonical: expected } = input(rng, pool, { encoded: () => encodeIlpPacket(randomIlpPacket(rng)), raw: () => rawIlpPacket(rng) }, [12, 13, 14]);
      report(bytes);
      const packet = attempt(decodeIlpPacket, bytes);
      // The typed decoders agree with the generic one.
      for (const [type, decode] of [
        [IlpPacketType.Prepare, decodePrepare],
        [IlpPacketType.Fulfill, decodeFulfill],
        [IlpPacketType.Reject, decodeReject],
      ] as const) {
        const typed = attempt<unknown>(decode, bytes);
        if (packet instanceof OerError || packet.type !== type) expect(typed).toBeInstanceOf(OerError);
        else expect({ type, ...(typed as object) }).toEqual(packet);
      }
      outcomes.count(packet);
      if (packet instanceof OerError) return;
      if (packet.type === IlpPacketType.Prepare) isIldcpRequest(packet);
      const canonical = encodeIlpPacket(packet);
      expect(decodeIlpPacket(canonical)).toEqual(packet);
      expect(encodeIlpPacket(decodeIlpPacket(canonical))).toEqual(canonical);
      if (expected) expect(canonical).toEqual(bytes);
    });
    outcomes.expectBoth();
  }, timeoutFor(RUNS));

  it('F08 data: random bytes decode to two UInt64s or fail with OerError', () => {
    fuzz('f08-data', RUNS, (rng, _i, report) => {
      const bytes = rng.bytes(rng.int(0, 20));
      report(bytes);
      attempt(decodeAmountTooLargeData, bytes);
    });
  });
});

describe('ILDCP', () => {
  const pool = [fromHex(vectors.ildcp.response.hex)];
  const info = (rng: Rng) => ({ clientAddress: rng.address(), assetScale: rng.int(0, 255), assetCode: rng.utf8(8) });

  it(`${runs(RUNS)} mutated ILDCP responses: OerError or info that round-trips`, () => {
    const outcomes = new Outcomes();
    fuzz('ildcp', RUNS, (rng, _i, report) => {
      // Half the time only the Fulfill's data is mutated, so the mutations reach the ILDCP fields.
      const fulfill = ildcpFulfill(info(rng));
      const bytes = rng.chance(0.5)
        ? input(rng, pool, { encoded: () => encodeFulfill(fulfill) }, [13]).bytes
        : encodeFulfill({ ...fulfill, data: mutate(rng, fulfill.data) });
      report(bytes);
      const decoded = attempt((b) => ildcpInfoFromFulfill(decodeFulfill(b)), bytes);
      outcomes.count(decoded);
      if (decoded instanceof OerError) return;
      expect(ildcpInfoFromFulfill(ildcpFulfill(decoded))).toEqual(decoded);
    });
    outcomes.expectBoth();
  }, timeoutFor(RUNS));
});

describe('BTP packets', () => {
  const pool = [vectors.btp.response_hex, vectors.btp.message_hex, vectors.btp.transfer_hex, vectors.btp.error_hex].map(fromHex);

  it(`${runs(RUNS)} random and mutated frames: OerError or a canonical round trip`, () => {
    const outcomes = new Outcomes();
    fuzz('btp', RUNS, (rng, _i, report) => {
      const { bytes, canonical: expected } = input(rng, pool, { encoded: () => encodeBtpPacket(randomBtpPacket(rng)), raw: () => rawBtpPacket(rng) }, [1, 2, 3, 4, 5, 6, 7]);
      report(bytes);
      const packet = attempt(decodeBtpPacket, bytes);
      outcomes.count(packet);
      if (packet instanceof OerError) return;
      const canonical = encodeBtpPacket(packet);
      expect(decodeBtpPacket(canonical)).toEqual(packet);
      expect(encodeBtpPacket(decodeBtpPacket(canonical))).toEqual(canonical);
      if (expected) expect(canonical).toEqual(bytes);
    });
    outcomes.expectBoth();
  }, timeoutFor(RUNS));
});

describe('STREAM packets', () => {
  const pool = vectors.stream.packet_examples.map((e) => fromBase64(e.base64));

  it(`${runs(RUNS)} random and mutated plaintexts: OerError or a packet that round-trips`, () => {
    const outcomes = new Outcomes();
    fuzz('stream', RUNS, (rng, _i, report) => {
      const { bytes, canonical: expected } = input(rng, pool, { encoded: () => encodeStreamPacket(randomStreamPacket(rng)) }, [1]);
      report(bytes);
      const packet = attempt(decodeStreamPacket, bytes);
      outcomes.count(packet);
      if (packet instanceof OerError) return;
      // Unknown frames, padding and bytes after a frame's fields are dropped: what is left re-encodes canonically.
      const canonical = encodeStreamPacket(packet);
      expect(decodeStreamPacket(canonical)).toEqual(packet);
      expect(encodeStreamPacket(decodeStreamPacket(canonical))).toEqual(canonical);
      if (expected) expect(canonical).toEqual(bytes);
    });
    outcomes.expectBoth();
  }, timeoutFor(RUNS));

  it(`${runs(RUNS)} mutated ciphertexts: decrypt refuses every change, and never throws`, () => {
    fuzz('stream-crypto', RUNS, (rng, _i, report) => {
      const key = streamEncryptionKey(rng.bytes(32));
      const plaintext = encodeStreamPacket(randomStreamPacket(rng));
      const sealed = encrypt(key, plaintext);
      const bytes = rng.chance(0.1) ? rng.bytes(rng.int(0, 60)) : mutate(rng, sealed);
      report(bytes);
      const opened = decrypt(key, bytes);
      if (Buffer.from(bytes).equals(Buffer.from(sealed))) expect(opened).toEqual(plaintext);
      else expect(opened).toBeUndefined();
      expect(decrypt(streamEncryptionKey(rng.bytes(32)), sealed)).toBeUndefined();
    });
  }, timeoutFor(RUNS));
});

/** OER primitives, read back by the same list of operations that wrote them. */
describe('OER primitives', () => {
  type Op = 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'varUint' | 'varOctets' | 'varIa5' | 'varUtf8' | 'ilpTimestamp' | 'generalizedTime';
  const OPS: Op[] = ['uint8', 'uint16', 'uint32', 'uint64', 'varUint', 'varOctets', 'varIa5', 'varUtf8', 'ilpTimestamp', 'generalizedTime'];

  function value(rng: Rng, op: Op): unknown {
    switch (op) {
      case 'uint8':
        return rng.int(0, 255);
      case 'uint16':
        return rng.int(0, 0xffff);
      case 'uint32':
        return rng.uint32();
      case 'uint64':
      case 'varUint':
        return rng.uint64();
      case 'varOctets':
        return rng.data(300);
      case 'varIa5':
        return rng.ascii(rng.length(300));
      case 'varUtf8':
        return rng.utf8();
      case 'ilpTimestamp':
      case 'generalizedTime':
        return rng.date();
    }
  }

  const write = (ops: Op[], values: unknown[]) => {
    const w = new OerWriter() as unknown as Record<Op, (v: unknown) => void>;
    ops.forEach((op, i) => w[op](values[i]));
    return (w as unknown as OerWriter).toBytes();
  };
  const read = (ops: Op[]) => (bytes: Uint8Array) => {
    const r = new OerReader(bytes);
    const values = ops.map((op) => (r as unknown as Record<Op, () => unknown>)[op]());
    r.expectEnd('fields');
    return values;
  };

  it(`${runs(RUNS)} mutated field sequences: OerError or values that re-encode canonically`, () => {
    const outcomes = new Outcomes();
    fuzz('oer', RUNS, (rng, _i, report) => {
      const ops = Array.from({ length: rng.int(1, 6) }, () => rng.pick(OPS));
      const original = write(ops, ops.map((op) => value(rng, op)));
      const bytes = rng.chance(0.1) ? rng.bytes(rng.int(0, 40)) : mutate(rng, original);
      report(bytes);
      const values = attempt(read(ops), bytes);
      outcomes.count(values);
      if (values instanceof OerError) return;
      const canonical = write(ops, values);
      expect(read(ops)(canonical)).toEqual(values);
      expect(write(ops, read(ops)(canonical))).toEqual(canonical);
    });
    outcomes.expectBoth();
  }, timeoutFor(RUNS));

  it('a length prefix beyond the input is refused before anything is allocated for it', () => {
    // up to 2^64-1: allocating first would throw RangeError or exhaust memory
    for (const prefix of ['84ffffffff', '887fffffffffffffff', '88ffffffffffffffff', '82ffff', '8180']) {
      for (const read of [(r: OerReader) => r.varOctets(), (r: OerReader) => r.varIa5(), (r: OerReader) => r.varUtf8(), (r: OerReader) => r.varContents()]) {
        const error = attempt((b) => read(new OerReader(b)), fromHex(`${prefix}00`));
        expect(error).toBeInstanceOf(OerError);
        expect((error as OerError).reason).toMatch(/truncated/);
      }
    }
  });
});

