import { ByteReader } from './byte-reader';
import { INFINITY_BOUND } from './bound';
import type { ItemSet } from './item-set';
import { MalformedMessage } from './malformed-message';
import { FIRST_VERSION_BYTE, LAST_VERSION_BYTE, MIN_FRAME_SIZE_LIMIT, PROTOCOL_VERSION } from './protocol';
import { RangeReader } from './range-reader';
import { RangeWriter } from './range-writer';
import { reconcileRanges } from './reconcile-ranges';
import { splitRange } from './split-range';

export type InitiatorStep =
  | { ok: true; /** the next message to send, or null when the sets are reconciled */ next: Uint8Array | null; have: string[]; need: string[] }
  | { ok: false; reason: string };

/**
 * The client side of a reconciliation: it opens with a description of its whole set, then answers each reply
 * until nothing differs, learning the ids it has that the other side lacks (have) and the reverse (need).
 * Each id is reported once per difference found; a caller that runs many rounds should collect them in sets.
 */
export class Initiator {
  private started = false;

  /** `frameSizeLimit`: largest message we send in bytes (0: no limit; otherwise at least 4096). */
  constructor(
    private readonly set: ItemSet,
    private readonly frameSizeLimit = 0,
  ) {
    if (frameSizeLimit !== 0 && frameSizeLimit < MIN_FRAME_SIZE_LIMIT) throw new RangeError(`frameSizeLimit below ${MIN_FRAME_SIZE_LIMIT}`);
  }

  /** The initial message: the whole set as one range to infinity, split as any range is. */
  initiate(): Uint8Array {
    if (this.started) throw new Error('already initiated');
    this.started = true;
    const out = new RangeWriter(PROTOCOL_VERSION);
    splitRange(this.set, 0, this.set.size, INFINITY_BOUND, out);
    return out.finish();
  }

  /** Takes the other side's reply; gives the next message (null when done) and the differences it revealed. */
  reconcile(message: Uint8Array): InitiatorStep {
    if (!this.started) throw new Error('initiate() first');
    try {
      const reader = new ByteReader(message);
      const version = reader.byte();
      if (version !== PROTOCOL_VERSION) {
        const known = version >= FIRST_VERSION_BYTE && version <= LAST_VERSION_BYTE;
        return { ok: false, reason: known ? `the other side speaks protocol version ${version - 0x60}, not 1` : `0x${version.toString(16)} is not a protocol version byte` };
      }
      const r = reconcileRanges(this.set, new RangeReader(reader), 'initiator', this.frameSizeLimit);
      return { ok: true, next: r.output.length === 1 ? null : r.output, have: r.have, need: r.need };
    } catch (err) {
      if (err instanceof MalformedMessage) return { ok: false, reason: err.message };
      throw err;
    }
  }
}
