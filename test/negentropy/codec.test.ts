import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/nostr/negentropy/byte-reader';
import { RangeReader } from '../../src/nostr/negentropy/range-reader';
import { RangeWriter } from '../../src/nostr/negentropy/range-writer';
import {
  Accumulator,
  compareBounds,
  encodeVarint,
  fingerprintOf,
  INFINITY_BOUND,
  Initiator,
  ItemSetBuilder,
  MalformedMessage,
  minimalBound,
  Responder,
  ZERO_BOUND,
} from '../../src/nostr/negentropy';
import { bytes, hex } from './helpers';
import {
  FULL_BOUND,
  LANG1_ITEMS,
  LANG1_MESSAGE,
  THREE_ITEM_FINGERPRINTS,
  THREE_ITEMS,
  THREE_ITEMS_INITIAL,
  TIMESTAMP_DELTAS,
  VARINTS,
} from './vectors';

const setOf = (records: [number, string][]) => {
  const b = new ItemSetBuilder();
  for (const [t, id] of records) b.add(t, id);
  return b.build();
};

const decodeVarint = (h: string) => new ByteReader(bytes(h)).varint();

describe('varint', () => {
  it.each(VARINTS)('encodes %d as %s', (value, h) => expect(hex(encodeVarint(value))).toBe(h));
  it.each(VARINTS)('decodes %d from %s', (value, h) => expect(decodeVarint(h)).toBe(value));

  it('reads exactly one varint and leaves the rest', () => {
    const r = new ByteReader(bytes('8100ff'));
    expect(r.varint()).toBe(128);
    expect(r.remaining).toBe(1);
  });

  it.each([
    ['', /message ends early at byte 0/],
    ['80', /message ends early at byte 1/],
    ['ffff', /message ends early at byte 2/],
    ['9080808080808080808000', /varint larger than 2\^53 - 1 at byte 0/],
  ])('refuses %j', (h, reason) => expect(() => decodeVarint(h)).toThrow(reason));

  it('refuses to encode what it cannot represent', () => {
    for (const n of [-1, 1.5, 2 ** 53, NaN]) expect(() => encodeVarint(n)).toThrow(RangeError);
  });
});

describe('bound', () => {
  const write = (bounds: { timestamp: number; prefix: Uint8Array }[]) => {
    const w = new RangeWriter(0x61);
    for (const b of bounds) w.bound(b);
    return hex(w.finish()).slice(2);
  };

  it('writes timestamps as deltas + 1 from the previous bound of the message (reference vectors)', () => {
    const h = write(TIMESTAMP_DELTAS.map(([timestamp]) => ({ timestamp, prefix: new Uint8Array() })));
    expect(h).toBe(TIMESTAMP_DELTAS.map(([, t]) => `${t}00`).join(''));
  });

  it('writes a full 32-byte id prefix (reference vector)', () => {
    expect(write([{ timestamp: FULL_BOUND.timestamp, prefix: bytes(FULL_BOUND.id) }])).toBe(FULL_BOUND.hex);
  });

  it('writes infinity as 0 and the zero bound as 1', () => {
    expect(write([ZERO_BOUND, INFINITY_BOUND])).toBe('01000000');
  });

  it('reads back what it writes, including infinity absorbing later deltas', () => {
    const r = new RangeReader(new ByteReader(bytes('86a091d70e00' + '0103aabbcc' + '0000' + '0500')));
    expect(r.bound()).toEqual({ timestamp: 1678011277, prefix: new Uint8Array() });
    expect(r.bound()).toEqual({ timestamp: 1678011277, prefix: bytes('aabbcc') });
    expect(r.bound().timestamp).toBe(Infinity);
    expect(r.bound().timestamp).toBe(Infinity);
  });

  it('refuses a prefix longer than 32 bytes and a timestamp past 2^53', () => {
    expect(() => new RangeReader(new ByteReader(bytes('0121' + '00'.repeat(33)))).bound()).toThrow(/longer than 32 at byte 0/);
    // 2^53 − 2, then + 1 (the largest safe timestamp), then + 1 more.
    const r = new RangeReader(new ByteReader(bytes('8fffffffffffff7f00' + '0200' + '0200')));
    expect(r.bound().timestamp).toBe(2 ** 53 - 2);
    expect(r.bound().timestamp).toBe(2 ** 53 - 1);
    expect(() => r.bound()).toThrow(MalformedMessage);
  });

  it('separates neighbours with the shortest prefix', () => {
    const a = bytes('aabbcc' + '00'.repeat(29));
    const b = bytes('aabbdd' + '00'.repeat(29));
    expect(minimalBound(5, a, 6, b)).toEqual({ timestamp: 6, prefix: new Uint8Array() });
    expect(minimalBound(6, a, 6, b)).toEqual({ timestamp: 6, prefix: bytes('aabbdd') });
  });

  it('orders bounds by timestamp, then zero-padded prefix', () => {
    const p = (h: string) => ({ timestamp: 7, prefix: bytes(h) });
    expect(compareBounds(p('aa'), p('aa0000'))).toBe(0);
    expect(compareBounds(p('aa'), p('aa01'))).toBeLessThan(0);
    expect(compareBounds(p('ff'), { timestamp: 8, prefix: new Uint8Array() })).toBeLessThan(0);
    expect(compareBounds(INFINITY_BOUND, p('ff'.repeat(32)))).toBeGreaterThan(0);
  });
});

describe('fingerprint', () => {
  it('matches the reference vectors', () => {
    const set = setOf(THREE_ITEMS);
    expect([1, 2, 3].map((n) => hex(set.fingerprint(0, n)))).toEqual(THREE_ITEM_FINGERPRINTS);
  });

  // Sums worked out by hand: ff…ff + 01 wraps to zero; ff + 01 in the low byte carries into the next byte;
  // ffffffff + 01 carries across a 32-bit word. Expected values: sha256(sum ‖ count)[0..16] computed separately.
  it.each([
    ['ff'.repeat(32), '01' + '00'.repeat(31), '00'.repeat(32), '58cc2f44d3a27866874701fbad573da9'],
    ['ff' + '00'.repeat(31), '01' + '00'.repeat(31), '0001' + '00'.repeat(30), 'e02b1741933239009331f2dbba6130ee'],
    ['ffffffff' + '00'.repeat(28), '01' + '00'.repeat(31), '0000000001' + '00'.repeat(27), 'ddf955cbed76e6c89ac79ff572938d88'],
  ])('adds %s and %s as little-endian integers mod 2^256', (a, b, sum, fp) => {
    const acc = new Accumulator().add(bytes(a)).add(bytes(b));
    expect(hex(acc.sum())).toBe(sum);
    expect(hex(acc.fingerprint())).toBe(fp);
    expect(hex(createHash('sha256').update(bytes(sum + '02')).digest().subarray(0, 16))).toBe(fp);
    const set = setOf([
      [1, a],
      [2, b],
    ]);
    expect(hex(set.fingerprint(0, 2))).toBe(fp);
  });

  it('of nothing is the hash of 32 zero bytes and a zero count', () => {
    expect(hex(fingerprintOf(new Uint8Array(32), 0))).toBe('7f9c9e31ac8256ca2f258583df262dbc');
    expect(hex(setOf([]).fingerprint(0, 0))).toBe('7f9c9e31ac8256ca2f258583df262dbc');
  });

  it('of any range equals the accumulator over that range (prefix sums)', () => {
    const records: [number, string][] = LANG1_ITEMS;
    const set = setOf(records);
    for (let lo = 0; lo <= set.size; lo += 3) {
      for (let hi = lo; hi <= set.size; hi += 5) {
        const acc = new Accumulator();
        for (let i = lo; i < hi; i++) acc.add(set.id(i));
        expect(hex(set.fingerprint(lo, hi))).toBe(hex(acc.fingerprint()));
      }
    }
  });
});

describe('messages', () => {
  it('initiates over the reference default storage byte for byte', () => {
    expect(hex(new Initiator(setOf(THREE_ITEMS)).initiate())).toBe(THREE_ITEMS_INITIAL);
  });

  it('initiates over the lang1 transcript records byte for byte (same-second records sorted by id)', () => {
    expect(hex(new Initiator(setOf(LANG1_ITEMS)).initiate())).toBe(LANG1_MESSAGE);
  });

  it('answers the lang1 initial message as the reference responder did', () => {
    const r = new Responder(setOf(LANG1_ITEMS)).reply(bytes(LANG1_MESSAGE));
    expect(r.ok && hex(r.reply)).toBe(LANG1_MESSAGE);
  });

  it('finishes at once when both sides hold the same records (reference: reconcile of its own initiate is null)', () => {
    const i = new Initiator(setOf(THREE_ITEMS));
    const step = i.reconcile(i.initiate());
    expect(step).toEqual({ ok: true, next: null, have: [], need: [] });
  });

  it('answers another protocol version with its own version byte alone (reference vector)', () => {
    const r = new Responder(setOf(THREE_ITEMS)).reply(bytes('62aabbccddeeff'));
    expect(r.ok && hex(r.reply)).toBe('61');
  });

  it('answers an empty range list (all implicit Skip) with the version byte alone', () => {
    const r = new Responder(setOf(THREE_ITEMS)).reply(bytes('61'));
    expect(r.ok && hex(r.reply)).toBe('61');
  });

  it('splits 32 or more records into 16 fingerprints, the first buckets one larger', () => {
    const records: [number, string][] = Array.from({ length: 33 }, (_, i) => [1000 + i, i.toString(16).padStart(2, '0').repeat(32)]);
    const set = setOf(records);
    const msg = hex(new Initiator(set).initiate());
    // 61, then bucket 1 (records 0–2) ends before record 3: timestamp 1003 written as 1003 + 1 = 0x876c, no prefix.
    expect(msg.slice(2, 8)).toBe('876c00');
    expect(msg.slice(8, 10)).toBe('01');
    expect(msg.slice(10, 42)).toBe(hex(set.fingerprint(0, 3)));
    // The 16th bucket ends at infinity.
    expect(msg.slice(-2 * (16 + 1 + 2), -2 * 17)).toBe('0000');
    expect(msg.slice(-34)).toBe('01' + hex(set.fingerprint(31, 33)));
  });

  it.each([
    ['', /message ends early at byte 0/],
    ['10', /0x10 is not a protocol version byte at byte 0/],
    ['61' + '0000' + '01' + 'aabb', /message ends early: 16 bytes wanted, 2 left at byte 4/],
    ['61' + '0000' + '03', /unknown range mode 3 at byte 1/],
    ['61' + '0201ff' + '00' + '0100' + '00', /range bounds are not in ascending order at byte 5/],
    ['61' + '0000' + '02' + '05' + 'ab'.repeat(64), /id list of 5 ids is longer than the message at byte 5/],
  ])('refuses the malformed message %j with the byte offset', (h, reason) => {
    const r = new Responder(setOf(THREE_ITEMS)).reply(bytes(h));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  it('refuses a frame size limit under 4096 bytes', () => {
    expect(() => new Responder(setOf([]), 4095)).toThrow(RangeError);
    expect(() => new Initiator(setOf([]), 100)).toThrow(RangeError);
  });

  it('builds a set from unsorted, duplicated input', () => {
    const set = setOf([...THREE_ITEMS].reverse().concat([THREE_ITEMS[1]]));
    expect(set.size).toBe(3);
    expect([0, 1, 2].map((i) => set.idHex(i))).toEqual(THREE_ITEMS.map(([, id]) => id));
  });
});
