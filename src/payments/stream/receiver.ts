import type { Logger } from 'pino';
import type { Accepted, LocalReceiver, SendPrepare } from '../../connector/local-receiver';
import { StreamErrorCode, StreamFrameType as T, type IlpPrepare, type IlpReject, type StreamFrame } from '../../ilp';
import type { StreamCredentials } from '../stream-credentials';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from '../stream-limits';
import type { StreamApp } from './app';
import { closeConnection } from './close';
import { StreamConnections } from './connections';
import type { StreamReceiverCounters } from './context';
import { acceptPacket, type AcceptContext } from './receive';

export type { StreamReceiverCounters } from './context';

export interface StreamReceiverOptions {
  credentials: StreamCredentials;
  /** Sent to clients in ConnectionAssetDetails. */
  assetCode: string;
  assetScale: number;
  /** What the client streams carry: the relay's paid sessions (src/relay/stream-session.ts). */
  app: StreamApp;
  /** Routes the Prepares that push data to clients (the connector's `originate`). */
  sendPrepare: SendPrepare;
  log?: Logger;
  limits?: Partial<StreamLimits>;
  /** Whether `peer` may open one more connection without money (the per-IP connection rate, per ILP peer). */
  admitConnection?: (peer: string) => boolean;
  /** Open Payments: whether an incoming payment still takes money (src/open-payments/incoming-payments.ts). */
  incomingPayments?: { takesMoney(id: string): boolean };
}

/**
 * The STREAM receiver (RFC 29) for Prepares addressed to `<ILP_ADDRESS>.<token>`, in two phases: accept() decrypts
 * and checks a packet and names the account its money goes to; the connector credits it and, once the credit is
 * durable, calls deliver(), which hands its data to the streams and builds the Fulfill: money before data, and no
 * data of a packet answered with a Reject.
 *
 * - Answers: F02 (not our address), F06 without data (unknown token, undecryptable or malformed data), F00 (inner
 *   type not Prepare), F99 with an encrypted Reject packet (ConnectionClose, amount below prepareAmount,
 *   unfulfillable probe, closed stream, protocol violation), T05 without data (a new connection without money
 *   past its peer's connection rate), else accepted: the connector answers the credit's own Reject (T04, T00, R00)
 *   with nothing processed, or deliver()'s Fulfill with an encrypted Fulfill packet. On a rejected packet only
 *   idempotent connection frames count (new address, windows); its stream data, money and closes are not processed.
 * - Streams: each client stream is handed to `app` (the relay's paid sessions), which takes its lines.
 * - Output goes out as StreamData in the reply to the client's next packet and, when produced outside a packet (OKs
 *   after the group commit, live events) or beyond one reply, in Prepares of amount 0 to the client's
 *   ConnectionNewAddress, one in flight per connection, within its StreamMaxData/ConnectionMaxData windows. A
 *   failed push is resent at the same offsets; after maxPushFailures in a row the connection is closed.
 * - State (StreamConnections): a connection is kept only once one of its packets is accepted (decrypted,
 *   fulfillable, within the STREAM rules; without money, at the peer's connection rate, else T05), so probes and
 *   forged packets leave none. Free connections are bounded per ILP peer and cannot evict one that received
 *   money. Eviction, ConnectionClose and close() close every stream (its handler's closed()).
 * - Output: bounded per stream, per connection and in all (maxBufferedOutput, maxBufferedPerConnection,
 *   maxBufferedTotal); the stream whose write would pass a bound is closed, but at the global bound first the
 *   streams of the connection holding the most, when that is another.
 *
 * Files: receive.ts (accept), apply-frames.ts (deliver), output.ts and push.ts (output, flow control, pushes),
 * close.ts, state.ts (the connection and stream state), connections.ts (the tables), frame-size.ts.
 */
export class StreamReceiver implements LocalReceiver {
  readonly counters: StreamReceiverCounters = { fulfilled: 0, rejected: 0, pushes: 0, pushFailures: 0 };
  private readonly ctx: AcceptContext;

  constructor(options: StreamReceiverOptions) {
    const limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    const assetDetails: StreamFrame = { type: T.ConnectionAssetDetails, sourceAssetCode: options.assetCode, sourceAssetScale: options.assetScale };
    const connections = new StreamConnections(limits, (conn) => closeConnection(this.ctx, conn, StreamErrorCode.NoError, ''));
    this.ctx = {
      limits,
      connections,
      counters: this.counters,
      app: options.app,
      sendPrepare: options.sendPrepare,
      log: options.log,
      output: { buffered: 0 },
      credentials: options.credentials,
      prefix: `${options.credentials.ilpAddress}.`,
      assetDetails,
      admitConnection: options.admitConnection,
      incomingPayments: options.incomingPayments,
    };
  }

  get connectionCount(): number {
    return this.ctx.connections.size;
  }

  /** Bytes of relay output waiting for clients' windows, over all connections. */
  get bufferedBytes(): number {
    return this.ctx.output.buffered;
  }

  /** Closes every connection and its streams (shutdown). */
  close(): void {
    this.ctx.connections.clear();
  }

  accept(prepare: IlpPrepare, from: string): Accepted | IlpReject {
    return acceptPacket(this.ctx, prepare, from);
  }
}
