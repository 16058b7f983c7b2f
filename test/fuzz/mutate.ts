// Byte mutations of valid encodings, aimed at what OER decoders get wrong: lengths, counts, truncation, splicing.
import type { Rng } from '../ilp/random';

/** Bytes that sit on an OER boundary: short/long length forms, the largest lengths of length, sign bits. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x87, 0x88, 0x89, 0xfe, 0xff];

/** Length prefixes that lie: zero lengths of length, non-minimal forms, and lengths far beyond any input. */
const LYING_PREFIXES = [
  [0x80],
  [0x81, 0x00],
  [0x81, 0x7f],
  [0x82, 0x00, 0x80],
  [0x82, 0xff, 0xff],
  [0x84, 0x7f, 0xff, 0xff, 0xff],
  [0x84, 0xff, 0xff, 0xff, 0xff],
  [0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80],
  [0x89, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0xff],
];

type Mutation = (rng: Rng, bytes: Uint8Array, pool: readonly Uint8Array[]) => Uint8Array;

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const at = (rng: Rng, bytes: Uint8Array) => rng.int(0, bytes.length);

const MUTATIONS: Mutation[] = [
  function flipBits(rng, bytes) {
    const out = bytes.slice();
    if (out.length === 0) return out;
    for (let n = rng.int(1, 4); n > 0; n--) out[rng.int(0, out.length - 1)] ^= 1 << rng.int(0, 7);
    return out;
  },
  function setInterestingByte(rng, bytes) {
    const out = bytes.slice();
    if (out.length > 0) out[rng.int(0, out.length - 1)] = rng.pick(INTERESTING);
    return out;
  },
  function nudgeByte(rng, bytes) {
    const out = bytes.slice();
    if (out.length > 0) out[rng.int(0, out.length - 1)] += rng.pick([1, -1, 2, -2, 0x80]);
    return out;
  },
  function truncate(rng, bytes) {
    return bytes.slice(0, at(rng, bytes));
  },
  function extend(rng, bytes) {
    return concat(bytes, rng.bytes(rng.int(1, 40)));
  },
  function insertBytes(rng, bytes) {
    const i = at(rng, bytes);
    return concat(bytes.subarray(0, i), rng.bytes(rng.int(1, 8)), bytes.subarray(i));
  },
  function deleteBytes(rng, bytes) {
    const i = at(rng, bytes);
    return concat(bytes.subarray(0, i), bytes.subarray(Math.min(bytes.length, i + rng.int(1, 8))));
  },
  function duplicateRange(rng, bytes) {
    const i = at(rng, bytes);
    const j = Math.min(bytes.length, i + rng.int(1, 32));
    return concat(bytes.subarray(0, j), bytes.subarray(i, j), bytes.subarray(j));
  },
  function lyingLengthPrefix(rng, bytes) {
    const i = at(rng, bytes);
    const replaced = rng.chance(0.5) ? 1 : 0;
    return concat(bytes.subarray(0, i), Uint8Array.from(rng.pick(LYING_PREFIXES)), bytes.subarray(Math.min(bytes.length, i + replaced)));
  },
  function shortLengthOffByOne(rng, bytes) {
    // Most length bytes in a small packet are short-form: make one claim a little more or less than it holds.
    const out = bytes.slice();
    const candidates = [...out.keys()].filter((i) => out[i] > 0 && out[i] < 0x7f && out[i] <= out.length - i);
    if (candidates.length > 0) out[rng.pick(candidates)] += rng.pick([1, -1]);
    return out;
  },
  function splice(rng, bytes, pool) {
    const other = pool.length > 0 ? rng.pick(pool) : rng.bytes(rng.int(0, 40));
    return concat(bytes.subarray(0, at(rng, bytes)), other.subarray(at(rng, other)));
  },
];

/** One to three stacked mutations of `bytes`; `pool` holds other valid encodings to splice in. */
export function mutate(rng: Rng, bytes: Uint8Array, pool: readonly Uint8Array[] = []): Uint8Array {
  let out = bytes;
  for (let n = rng.int(1, 3); n > 0; n--) out = rng.pick(MUTATIONS)(rng, out, pool);
  return out;
}

/** Random bytes, often led by a type byte the decoder knows so they get past the first check. */
export function randomInput(rng: Rng, typeBytes: readonly number[]): Uint8Array {
  const body = rng.bytes(rng.pick([0, 1, 2, 5, rng.int(0, 64), rng.int(0, 300)]));
  return rng.chance(0.7) && typeBytes.length > 0 ? concat(Uint8Array.from([rng.pick(typeBytes)]), body) : body;
}
