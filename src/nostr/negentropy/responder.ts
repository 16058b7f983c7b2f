import { ByteReader } from './byte-reader';
import type { ItemSet } from './item-set';
import { MalformedMessage } from './malformed-message';
import { FIRST_VERSION_BYTE, LAST_VERSION_BYTE, MIN_FRAME_SIZE_LIMIT, PROTOCOL_VERSION } from './protocol';
import { RangeReader } from './range-reader';
import { reconcileRanges } from './reconcile-ranges';

export type ResponderReply = { ok: true; reply: Uint8Array } | { ok: false; reason: string };

/**
 * The server side: answers each message of the initiator from its own set. It keeps no state between messages
 * (each message carries its whole position), so one Responder serves a NEG-OPEN and all its NEG-MSGs.
 */
export class Responder {
  /** `frameSizeLimit`: largest reply in bytes (0: no limit; otherwise at least 4096). */
  constructor(
    readonly set: ItemSet,
    private readonly frameSizeLimit = 0,
  ) {
    if (frameSizeLimit !== 0 && frameSizeLimit < MIN_FRAME_SIZE_LIMIT) throw new RangeError(`frameSizeLimit below ${MIN_FRAME_SIZE_LIMIT}`);
  }

  reply(message: Uint8Array): ResponderReply {
    try {
      const reader = new ByteReader(message);
      const version = reader.byte();
      if (version < FIRST_VERSION_BYTE || version > LAST_VERSION_BYTE) {
        reader.fail(`0x${version.toString(16).padStart(2, '0')} is not a protocol version byte`, 0);
      }
      // Another version: answer with the one we speak, alone, so the client can downgrade and retry.
      if (version !== PROTOCOL_VERSION) return { ok: true, reply: Uint8Array.of(PROTOCOL_VERSION) };
      return { ok: true, reply: reconcileRanges(this.set, new RangeReader(reader), 'responder', this.frameSizeLimit).output };
    } catch (err) {
      if (err instanceof MalformedMessage) return { ok: false, reason: err.message };
      throw err;
    }
  }
}
