import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { SendPrepare } from '../../connector/local-receiver';
import { encodeStreamPacket, encrypt, type StreamFrame, type StreamFrameOf, StreamFrameType as T, type StreamPacket } from '../../ilp';
import type { StreamLimits } from '../stream-limits';
import type { StreamApp } from './app';
import type { StreamConnections } from './connections';
import type { StreamConnection } from './state';

export interface StreamReceiverCounters {
  fulfilled: number;
  rejected: number;
  pushes: number;
  pushFailures: number;
}

/** What the receiver's parts share (as Dassie's STREAM functions take a context). */
export interface ReceiverContext {
  readonly limits: StreamLimits;
  readonly connections: StreamConnections;
  readonly counters: StreamReceiverCounters;
  readonly app: StreamApp;
  readonly sendPrepare: SendPrepare;
  readonly log: Logger | undefined;
  /** Relay output queued on all streams, bounded by limits.maxBufferedTotal (changed by output.ts and close.ts). */
  readonly output: { buffered: number };
}

export function seal(
  conn: StreamConnection,
  sequence: bigint,
  ilpPacketType: StreamPacket['ilpPacketType'],
  prepareAmount: bigint,
  frames: StreamFrame[],
): Uint8Array {
  return encrypt(conn.encryptionKey, encodeStreamPacket({ ilpPacketType, sequence, prepareAmount, frames }));
}

/** Raises the connection's or a stream's send window to what the client announced. */
export function openWindow(conn: StreamConnection, f: StreamFrameOf<typeof T.ConnectionMaxData> | StreamFrameOf<typeof T.StreamMaxData>): void {
  if (f.type === T.ConnectionMaxData) return conn.raiseWindow(f.maxOffset);
  conn.streams.get(f.streamId)?.outgoing.raiseWindow(f.maxOffset);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
