import { compareBounds, INFINITY_BOUND, ZERO_BOUND, type Bound } from './bound';
import type { ItemSet } from './item-set';
import { FINGERPRINT_SIZE, FRAME_HEADROOM, ID_SIZE, Mode, PROTOCOL_VERSION } from './protocol';
import type { RangeReader } from './range-reader';
import { RangeWriter } from './range-writer';
import { splitRange } from './split-range';

export type Role = 'initiator' | 'responder';

export interface Reconciled {
  /** The answer: the version byte, then our ranges. An initiator's answer of the version byte alone means done. */
  output: Uint8Array;
  /** Initiator only: ids we have and the other side lacks. */
  have: string[];
  /** Initiator only: ids the other side has and we lack. */
  need: string[];
}

/** Most bytes one range header can take: a bound (≤ 9 + 1 + 32) and the mode and count varints. */
const RANGE_HEADER_MAX = 64;

/**
 * Answers the ranges of one received message (its version byte already read and accepted), comparing them with
 * our items: a matching fingerprint or a Skip becomes a Skip (merged with its neighbours, and left implicit at the
 * end); a differing fingerprint is split; an id list gives the initiator its have/need ids and makes the
 * responder send its own ids for that range.
 *
 * With a frame size limit (bytes, 0 for none), a range whose answer would not fit is not answered: the message
 * ends with one fingerprint of all our items from that range's lower bound to infinity, so the next round
 * resumes exactly there. Throws MalformedMessage on a message that does not parse.
 */
export function reconcileRanges(set: ItemSet, ranges: RangeReader, role: Role, frameSizeLimit: number): Reconciled {
  const out = new RangeWriter(PROTOCOL_VERSION);
  const room = frameSizeLimit > 0 ? frameSizeLimit - FRAME_HEADROOM : Infinity;
  const have: string[] = [];
  const need: string[] = [];

  let prevBound = ZERO_BOUND;
  let prevIndex = 0;
  let skip = false;
  const flushSkip = () => {
    if (!skip) return;
    out.bound(prevBound);
    out.varint(Mode.Skip);
    skip = false;
  };
  /** Everything of ours from `index` on, as one fingerprint up to infinity: the next round starts there. */
  const remainder = (index: number) => {
    out.bound(INFINITY_BOUND);
    out.varint(Mode.Fingerprint);
    out.bytes(set.fingerprint(index, set.size));
  };

  while (!ranges.done) {
    const start = ranges.reader.offset;
    const currBound = ranges.bound();
    if (compareBounds(currBound, prevBound) < 0) ranges.reader.fail('range bounds are not in ascending order', start);
    const mode = ranges.varint();
    const lower = prevIndex;
    const upper = set.lowerBound(currBound, lower);
    const mark = out.mark();
    const skipBefore = skip;
    let overflow = false;

    if (mode === Mode.Skip) {
      skip = true;
    } else if (mode === Mode.Fingerprint) {
      const theirs = ranges.bytes(FINGERPRINT_SIZE);
      if (Buffer.compare(theirs, set.fingerprint(lower, upper)) === 0) {
        skip = true;
      } else {
        flushSkip();
        splitRange(set, lower, upper, currBound, out);
      }
    } else if (mode === Mode.IdList) {
      const count = ranges.varint();
      if (count * ID_SIZE > ranges.reader.remaining) ranges.reader.fail(`id list of ${count} ids is longer than the message`);
      const theirs = ranges.bytes(count * ID_SIZE);
      if (role === 'initiator') {
        skip = true;
        diffIds(set, lower, upper, theirs, have, need);
      } else {
        flushSkip();
        const fit = Math.floor((room - out.length - RANGE_HEADER_MAX) / ID_SIZE);
        if (upper - lower <= fit) {
          writeIdList(set, lower, upper, out, currBound);
        } else if (fit > 0) {
          // Send the ids that fit, up to the bound before the first one left out, and the rest as a fingerprint.
          const end = lower + fit;
          writeIdList(set, lower, end, out, set.boundBefore(end));
          remainder(end);
          return { output: out.finish(), have, need };
        } else {
          overflow = true;
        }
      }
    } else {
      ranges.reader.fail(`unknown range mode ${mode}`, start);
    }

    if (overflow || out.length > room) {
      out.rewind(mark);
      skip = skipBefore;
      flushSkip();
      remainder(lower);
      return { output: out.finish(), have, need };
    }
    prevIndex = upper;
    prevBound = currBound;
  }
  return { output: out.finish(), have, need };
}

function writeIdList(set: ItemSet, lower: number, upper: number, out: RangeWriter, bound: Bound): void {
  out.bound(bound);
  out.varint(Mode.IdList);
  out.varint(upper - lower);
  for (let i = lower; i < upper; i++) out.bytes(set.id(i));
}

/** Compares their ids in a range with ours [lower, upper): ours alone are `have`, theirs alone `need`. */
function diffIds(set: ItemSet, lower: number, upper: number, theirs: Uint8Array, have: string[], need: string[]): void {
  const theirIds = new Set<string>();
  const buf = Buffer.from(theirs.buffer, theirs.byteOffset, theirs.length);
  for (let off = 0; off < buf.length; off += ID_SIZE) theirIds.add(buf.toString('hex', off, off + ID_SIZE));
  for (let i = lower; i < upper; i++) {
    const id = set.idHex(i);
    if (!theirIds.delete(id)) have.push(id);
  }
  for (const id of theirIds) need.push(id);
}
