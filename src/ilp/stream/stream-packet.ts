import type { IlpPacketType } from '../packet/ilp-packet';
import type { StreamFrame } from './stream-frame';

export const STREAM_VERSION = 1;

/** The plaintext inside an ILP packet's `data` (RFC 29). */
export interface StreamPacket {
  /** Must match the ILP packet that carries it. */
  ilpPacketType: (typeof IlpPacketType)[keyof typeof IlpPacketType];
  sequence: bigint;
  /** On a Prepare: the least the receiver should accept. On a Fulfill or Reject: what actually arrived. */
  prepareAmount: bigint;
  frames: StreamFrame[];
}
