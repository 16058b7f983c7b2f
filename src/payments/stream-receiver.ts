import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { isFulfill, type Credit, type CreditResult, type IlpReply, type LocalReceiver, type SendPrepare } from '../connector/local-receiver';
import {
  conditionFromFulfillment,
  createReject,
  decodeStreamPacket,
  decrypt,
  encodeStreamPacket,
  encrypt,
  ENCRYPTION_OVERHEAD,
  hmacSha256,
  IlpErrorCode,
  IlpPacketType,
  MAX_DATA_LENGTH,
  StreamErrorCode,
  StreamFrameType as T,
  streamEncryptionKey,
  type IlpPrepare,
  type IlpReject,
  type StreamFrame,
  type StreamFrameOf,
  type StreamPacket,
} from '../ilp';
import { noticeMessage } from '../relay/messages';
import type { Session } from '../relay/relay';
import { PaidStream, type StreamSink } from './paid-stream';
import { StreamConnection, type Push } from './stream-connection';
import { StreamConnections } from './stream-connections';
import type { StreamCredentials } from './stream-credentials';
import { DEFAULT_STREAM_LIMITS, RETRY_DELAY_MAX, RETRY_DELAY_MIN, UNLIMITED, type StreamLimits } from './stream-limits';

/** The relay as a paid session sees it (src/relay/relay.ts Relay). */
export interface SessionHost {
  /** A new session (sends the NIP-42 challenge when the relay wants one at once). */
  open(session: Session): void;
  handle(session: Session, text: string): void;
  drop(session: Session): void;
}

export interface StreamReceiverOptions {
  credentials: StreamCredentials;
  /** Sent to clients in ConnectionAssetDetails. */
  assetCode: string;
  assetScale: number;
  relay: SessionHost;
  /** Routes the Prepares that push data to clients (the connector's `originate`). */
  sendPrepare: SendPrepare;
  log?: Logger;
  limits?: Partial<StreamLimits>;
  /** Whether `peer` may open one more connection without money (the per-IP connection rate, per ILP peer). */
  admitConnection?: (peer: string) => boolean;
  /** Open Payments: whether an incoming payment still takes money (src/open-payments/incoming-payments.ts). */
  incomingPayments?: { takesMoney(id: string): boolean };
}

export interface StreamReceiverCounters {
  fulfilled: number;
  rejected: number;
  pushes: number;
  pushFailures: number;
}

// A STREAM packet travels encrypted in ILP data (≤ 32767 bytes). Our header is at most 1+1+9+9+3 bytes, and a
// StreamData frame adds at most 1 (type) + 3 (length) + 9 (stream id) + 9 (offset) + 3 (data length) to its data.
const PLAINTEXT_MAX = MAX_DATA_LENGTH - ENCRYPTION_OVERHEAD;
const HEADER_MAX = 24;
const DATA_FRAME_OVERHEAD = 25;

const CLOSED_PAYMENT: StreamFrame = {
  type: T.ConnectionClose,
  errorCode: StreamErrorCode.NoError,
  errorMessage: 'the incoming payment is completed or expired',
};

const OPERATOR_REFUSAL = noticeMessage(
  'restricted: this connection pays the relay operator; NIP-01 messages need a connection from /pay/<pubkey>',
);

/**
 * The STREAM receiver (RFC 29) for Prepares addressed to `<ILP_ADDRESS>.<token>`, and the paid NIP-01 sessions its
 * streams carry. A packet is decrypted and checked; one that carries money is credited and waits until the credit
 * is durable (credit()), and only then are its lines handed to the relay and the Fulfill built: money before data,
 * and no data of a packet answered with a Reject. A packet without money is answered within the call.
 *
 * - Answers: F02 (not our address), F06 without data (unknown token, undecryptable or malformed data), F00 (inner
 *   type not Prepare), F99 with an encrypted Reject packet (ConnectionClose, amount below prepareAmount,
 *   unfulfillable probe, closed stream, protocol violation), T05 without data (a new connection without money
 *   past its peer's connection rate), the credit's own Reject (T04, T00, R00) with nothing processed, else Fulfill
 *   with an encrypted Fulfill packet. On a rejected packet only idempotent connection frames count
 *   (new address, windows); its stream data, money and closes are not processed.
 * - Sessions: on a `/pay/<pubkey>` connection each client stream is a Session (events in it are paid by their
 *   authors; the pubkey only receives the money); each `\n`-terminated line is one Relay.handle call. The
 *   operator's connection (`/.well-known/pay`) takes money only: data there is read and discarded, with one
 *   NOTICE per stream saying where sessions are opened.
 * - Output goes out as StreamData in the reply to the client's next packet and, when produced outside a packet (OKs
 *   after the group commit, live events) or beyond one reply, in Prepares of amount 0 to the client's
 *   ConnectionNewAddress, one in flight per connection, within its StreamMaxData/ConnectionMaxData windows. A
 *   failed push is resent at the same offsets; after maxPushFailures in a row the connection is closed.
 * - State (StreamConnections): a connection is kept only once one of its packets is accepted (decrypted,
 *   fulfillable, within the STREAM rules; without money, at the peer's connection rate, else T05), so probes and
 *   forged packets leave none. Free connections are bounded per ILP peer and cannot evict one that received
 *   money. Eviction, ConnectionClose and close() drop every session (Relay.drop).
 * - Output: bounded per stream, per connection and in all (maxBufferedOutput, maxBufferedPerConnection,
 *   maxBufferedTotal); the stream whose write would pass a bound is closed, but at the global bound first the
 *   streams of the connection holding the most, when that is another.
 */
export class StreamReceiver implements LocalReceiver {
  readonly counters: StreamReceiverCounters = { fulfilled: 0, rejected: 0, pushes: 0, pushFailures: 0 };
  private readonly limits: StreamLimits;
  private readonly prefix: string;
  private readonly connections: StreamConnections;
  /** Relay output queued on all streams, bounded by limits.maxBufferedTotal. */
  private buffered = 0;
  private readonly credentials: StreamCredentials;
  private readonly relay: SessionHost;
  private readonly sendPrepare: SendPrepare;
  private readonly log: Logger | undefined;
  private readonly admitConnection: ((peer: string) => boolean) | undefined;
  private readonly incomingPayments: StreamReceiverOptions['incomingPayments'];
  private readonly assetDetails: StreamFrame;
  /** What the streams call: their lines, and their sessions' answers. */
  private readonly sink: StreamSink = {
    line: (s, text) => this.line(s, text),
    write: (s, message) => this.write(s, message),
    oversized: (s, bytes) => this.oversized(s, bytes),
  };

  constructor(options: StreamReceiverOptions) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    this.credentials = options.credentials;
    this.relay = options.relay;
    this.sendPrepare = options.sendPrepare;
    this.log = options.log;
    this.admitConnection = options.admitConnection;
    this.incomingPayments = options.incomingPayments;
    this.prefix = `${options.credentials.ilpAddress}.`;
    this.assetDetails = { type: T.ConnectionAssetDetails, sourceAssetCode: options.assetCode, sourceAssetScale: options.assetScale };
    this.connections = new StreamConnections(this.limits, (conn) => this.closeConnection(conn, StreamErrorCode.NoError, ''));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes of relay output waiting for clients' windows, over all connections. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Closes every connection and drops its sessions (shutdown). */
  close(): void {
    this.connections.clear();
  }

  // ── receiving (RFC 29 receiver algorithm, as ilp-protocol-stream and stream-receiver answer) ──

  handle(prepare: IlpPrepare, credit: Credit, from: string): IlpReply | Promise<IlpReply> {
    const dest = prepare.destination;
    if (!dest.startsWith(this.prefix)) return this.reject(IlpErrorCode.F02_UNREACHABLE, 'not a STREAM address of this node');
    const dot = dest.indexOf('.', this.prefix.length);
    const token = dest.slice(this.prefix.length, dot < 0 ? undefined : dot);
    if (token.length === 0) return this.reject(IlpErrorCode.F02_UNREACHABLE, 'no STREAM connection in the address');

    let conn = this.connections.lookup(token);
    const ticket = conn ? undefined : this.credentials.open(token);
    if (!conn && !ticket) return this.reject(IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'unknown STREAM connection');
    const key = conn ? conn.encryptionKey : streamEncryptionKey(ticket!.sharedSecret);
    // Nothing encrypted in the answers below: whoever sent these does not hold the shared secret.
    const plain = decrypt(key, prepare.data);
    if (!plain) return this.reject(IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'cannot decrypt the STREAM data');
    let packet: StreamPacket;
    try {
      packet = decodeStreamPacket(plain);
    } catch {
      return this.reject(IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'malformed STREAM packet');
    }
    if (packet.ilpPacketType !== IlpPacketType.Prepare) {
      return this.reject(IlpErrorCode.F00_BAD_REQUEST, 'STREAM packet is not of type Prepare');
    }
    // Not kept until the packet is accepted (answer()): whoever holds a credential cannot fill the table with probes.
    if (!conn) {
      conn = new StreamConnection(token, ticket!, key, this.limits.maxOpenStreams, from);
      conn.clientAddress = this.connections.addressOf(token);
    }
    return this.answer(conn, prepare, packet, credit);
  }

  private answer(conn: StreamConnection, prepare: IlpPrepare, packet: StreamPacket, credit: Credit): IlpReply | Promise<IlpReply> {
    const reply: StreamFrame[] = [];
    if (conn.closeFrame) return this.refuse(conn, packet, prepare.amount, [conn.closeFrame]);
    // Open Payments: once its incoming payment is completed or expired, a connection takes nothing more.
    if (conn.incomingPayment !== undefined && !this.incomingPayments?.takesMoney(conn.incomingPayment)) {
      return this.refuse(conn, packet, prepare.amount, [CLOSED_PAYMENT]);
    }

    // Connection-level frames that are safe to apply whatever becomes of the packet (the client's test packets,
    // which we reject, are how it tells us its address).
    let closing = false;
    for (const f of packet.frames) {
      switch (f.type) {
        case T.ConnectionNewAddress:
          if (f.sourceAccount !== conn.clientAddress) conn.announce = true;
          conn.clientAddress = f.sourceAccount;
          if (!conn.kept) this.connections.announce(conn.token, f.sourceAccount);
          break;
        case T.ConnectionMaxData:
        case T.StreamMaxData:
          openWindow(conn, f);
          break;
        case T.ConnectionClose:
          closing = true;
          break;
      }
    }
    const announced = conn.announce;
    if (announced) {
      conn.announce = false;
      reply.push(this.assetDetails, { type: T.ConnectionMaxStreamId, maxStreamId: conn.maxStreamId });
    }
    if (closing) {
      this.connections.forget(conn); // dispose closes it
      return this.refuse(conn, packet, prepare.amount, [...reply, { type: T.ConnectionClose, errorCode: StreamErrorCode.NoError, errorMessage: '' }]);
    }
    if (prepare.amount < packet.prepareAmount) return this.refuse(conn, packet, prepare.amount, reply);
    const fulfillment = hmacSha256(conn.fulfillmentKey, prepare.data);
    // Unfulfillable: the sender's probes (test packets, ConnectionClose) carry a random condition.
    if (!sameBytes(conditionFromFulfillment(fulfillment), prepare.executionCondition)) {
      return this.refuse(conn, packet, prepare.amount, reply);
    }
    const newStreams = this.checkStreams(conn, packet.frames, reply);
    if (newStreams === false) return this.refuse(conn, packet, prepare.amount, reply);

    if (!conn.kept) {
      // A connection that brings money is always taken; free ones come at the peer's connection rate.
      if (prepare.amount === 0n && this.admitConnection?.(conn.peer) === false) {
        this.counters.rejected++;
        return this.reject(IlpErrorCode.T05_RATE_LIMITED, 'too many new STREAM connections from this peer; try again shortly');
      }
      this.connections.keep(conn);
    }
    if (prepare.amount === 0n) return this.fulfill(conn, prepare, packet, newStreams, reply, fulfillment);
    return credit(conn.account, prepare.amount, conn.incomingPayment).then((r: CreditResult) => {
      if (!r.ok) {
        this.counters.rejected++;
        conn.announce ||= announced; // that reply carries no STREAM data
        return r.reject;
      }
      this.connections.promote(conn);
      return this.fulfill(conn, prepare, packet, newStreams, reply, fulfillment);
    });
  }

  /** The packet's money is in (durable): its frames are applied and the Fulfill built, whatever its data does. */
  private fulfill(
    conn: StreamConnection,
    prepare: IlpPrepare,
    packet: StreamPacket,
    newStreams: Set<bigint> | undefined,
    reply: StreamFrame[],
    fulfillment: Uint8Array,
  ): IlpReply {
    this.counters.fulfilled++;
    // Closed while the credit was written (evicted, closed by another packet): paid, but nothing to carry data.
    if (conn.closeFrame) {
      reply.push(conn.closeFrame);
      return { fulfillment, data: this.seal(conn, packet.sequence, IlpPacketType.Fulfill, prepare.amount, reply) };
    }
    conn.handling = true;
    try {
      this.applyStreamFrames(conn, packet.frames, prepare.amount, newStreams, reply);
    } catch (err) {
      this.log?.error({ err }, 'STREAM: error while processing a paid packet');
    } finally {
      conn.handling = false;
      this.dropClosed(conn);
    }
    reply.push({ type: T.ConnectionMaxData, maxOffset: BigInt(conn.readTotal + this.connectionWindow()) });
    if (conn.control.length > 0) for (const f of conn.control.splice(0)) reply.push(f);
    this.packData(conn, reply);
    if (conn.hasOutput()) this.schedulePush(conn);
    return { fulfillment, data: this.seal(conn, packet.sequence, IlpPacketType.Fulfill, prepare.amount, reply) };
  }

  /**
   * Checks the packet's stream frames before money moves. Returns the ids of streams it opens (usually none), or
   * false when it must be rejected (the reason is in `reply`; a protocol violation also closes the connection).
   */
  private checkStreams(conn: StreamConnection, frames: StreamFrame[], reply: StreamFrame[]): Set<bigint> | undefined | false {
    let opened: Set<bigint> | undefined;
    for (const f of frames) {
      if (f.type !== T.StreamMoney && f.type !== T.StreamData && f.type !== T.StreamMaxMoney && f.type !== T.StreamMaxData) {
        continue;
      }
      const id = f.streamId;
      const s = conn.streams.get(id);
      let readOffset = s?.readOffset ?? 0;
      if (!s && !opened?.has(id)) {
        if (id % 2n === 0n) {
          return this.violation(conn, reply, StreamErrorCode.ProtocolViolation, `client streams have odd ids, got ${id}`);
        }
        if (id <= conn.highestStreamId) {
          // closed: window frames for it are stale, money or data for it is refused as ilp-protocol-stream does
          if (f.type === T.StreamMaxMoney || f.type === T.StreamMaxData) continue;
          reply.push({ type: T.StreamClose, streamId: id, errorCode: StreamErrorCode.StreamStateError, errorMessage: 'Stream is already closed' });
          return false;
        }
        if (id > conn.maxStreamId) {
          return this.violation(conn, reply, StreamErrorCode.StreamIdError, `stream ${id} is above the maximum ${conn.maxStreamId}`);
        }
        (opened ??= new Set()).add(id);
        readOffset = 0;
      }
      if (f.type === T.StreamData && Number(f.offset) + f.data.length > readOffset + this.limits.streamWindow) {
        return this.violation(conn, reply, StreamErrorCode.FlowControlError, `stream ${id} sent past its window`);
      }
    }
    return opened;
  }

  private violation(conn: StreamConnection, reply: StreamFrame[], errorCode: number, errorMessage: string): false {
    const frame: StreamFrame = { type: T.ConnectionClose, errorCode, errorMessage };
    reply.push(frame);
    this.connections.forget(conn);
    return false;
  }

  /** Money shares, windows, data (lines to the relay), then stream closes; the reply gets each stream's limits. */
  private applyStreamFrames(
    conn: StreamConnection,
    frames: StreamFrame[],
    amount: bigint,
    opened: Set<bigint> | undefined,
    reply: StreamFrame[],
  ): void {
    let shares = 0n;
    for (const f of frames) if (f.type === T.StreamMoney) shares += f.shares;
    let distributed = 0n;
    let firstPaid: PaidStream | undefined;
    const touched: PaidStream[] = [];
    let closes = false;
    // Streams up to it were opened before: another packet may have opened and closed one of `opened` while this
    // one's credit was written, and a closed stream stays closed.
    const highest = conn.highestStreamId;
    for (const f of frames) {
      switch (f.type) {
        case T.StreamMoney:
        case T.StreamMaxMoney:
        case T.StreamMaxData:
        case T.StreamData:
        case T.StreamDataBlocked: {
          const id = f.streamId;
          const s = conn.streams.get(id) ?? (opened?.has(id) && id > highest ? this.openStream(conn, id) : undefined);
          if (!s || !s.open) break;
          if (!touched.includes(s)) touched.push(s);
          if (f.type === T.StreamMoney && shares > 0n) {
            const share = (amount * f.shares) / shares;
            s.totalReceived += share;
            distributed += share;
            if (!firstPaid || s.id < firstPaid.id) firstPaid = s;
          } else if (f.type === T.StreamMaxData) {
            s.remoteMax = raise(s.remoteMax, f.maxOffset);
          } else if (f.type === T.StreamData) {
            const before = s.readOffset;
            s.receive(Number(f.offset), f.data);
            conn.readTotal += s.readOffset - before;
          }
          break;
        }
        case T.StreamClose:
          closes = true;
          break;
      }
    }
    // RFC 29: the remainder of the floor division goes to the lowest stream id
    if (firstPaid) firstPaid.totalReceived += amount - distributed;
    if (closes) {
      for (const f of frames) {
        if (f.type !== T.StreamClose) continue;
        const s = conn.streams.get(f.streamId);
        if (s) this.closeStream(conn, s, true);
      }
    }
    for (const s of touched) {
      if (!s.open) continue;
      reply.push(
        { type: T.StreamMaxMoney, streamId: s.id, receiveMax: UNLIMITED, totalReceived: s.totalReceived },
        { type: T.StreamMaxData, streamId: s.id, maxOffset: BigInt(s.readOffset + this.limits.streamWindow) },
      );
    }
  }

  private openStream(conn: StreamConnection, id: bigint): PaidStream {
    const s = new PaidStream(id, conn, this.sink, this.limits.maxLineBytes, this.limits.streamWindow);
    conn.streams.set(id, s);
    if (id > conn.highestStreamId) conn.highestStreamId = id;
    if (conn.pubkey !== undefined) this.relay.open(s);
    return s;
  }

  /** F99 with an encrypted Reject-type STREAM packet saying how much arrived, as RFC 29 asks. */
  private refuse(conn: StreamConnection, packet: StreamPacket, amount: bigint, frames: StreamFrame[]): IlpReject {
    this.counters.rejected++;
    return this.reject(IlpErrorCode.F99_APPLICATION_ERROR, '', this.seal(conn, packet.sequence, IlpPacketType.Reject, amount, frames));
  }

  private reject(code: IlpErrorCode, message: string, data?: Uint8Array): IlpReject {
    return createReject(code, this.credentials.ilpAddress, message, data);
  }

  private seal(
    conn: StreamConnection,
    sequence: bigint,
    ilpPacketType: StreamPacket['ilpPacketType'],
    prepareAmount: bigint,
    frames: StreamFrame[],
  ): Uint8Array {
    return encrypt(conn.encryptionKey, encodeStreamPacket({ ilpPacketType, sequence, prepareAmount, frames }));
  }

  private connectionWindow(): number {
    return this.limits.streamWindow * this.limits.maxOpenStreams;
  }

  // ── sessions (StreamSink) ──

  private line(s: PaidStream, text: string): void {
    if (s.connection.pubkey !== undefined) return this.relay.handle(s, text);
    if (!s.refused) {
      s.refused = true;
      s.send(OPERATOR_REFUSAL);
    }
  }

  private oversized(s: PaidStream, bytes: number): void {
    s.send(noticeMessage(`invalid: message of at least ${bytes} bytes is over the limit of ${this.limits.maxLineBytes}`));
  }

  private write(s: PaidStream, message: string): boolean {
    const conn = s.connection;
    if (!s.open || conn.closed) return false;
    const bytes = Buffer.from(`${message}\n`, 'utf8');
    if (this.buffered + bytes.length > this.limits.maxBufferedTotal) this.shedLargest(conn);
    if (
      s.queuedBytes + bytes.length > this.limits.maxBufferedOutput ||
      conn.buffered + bytes.length > this.limits.maxBufferedPerConnection ||
      this.buffered + bytes.length > this.limits.maxBufferedTotal
    ) {
      this.closeStream(conn, s, false, StreamErrorCode.ApplicationError, 'too much unread data on this stream');
      return false;
    }
    s.enqueue(bytes);
    conn.buffered += bytes.length;
    this.buffered += bytes.length;
    if (!conn.handling) this.schedulePush(conn);
    return true;
  }

  /**
   * The global output bound is reached: the connection holding the most unread output, if another holds more
   * than `writer`, has its streams with queued output closed, so clients that do not read cannot starve the rest.
   */
  private shedLargest(writer: StreamConnection): void {
    let largest = writer;
    for (const c of this.connections.values()) if (c.buffered > largest.buffered) largest = c;
    if (largest === writer) return;
    this.log?.info({ buffered: largest.buffered }, 'STREAM: output bound reached, closing the streams of the largest unread connection');
    for (const s of [...largest.streams.values()]) {
      if (s.queuedBytes > 0) this.closeStream(largest, s, false, StreamErrorCode.ApplicationError, 'too much unread data on this stream');
    }
  }

  private closeStream(conn: StreamConnection, s: PaidStream, byClient: boolean, errorCode = 0, errorMessage = ''): void {
    if (!s.open) return;
    conn.sentTotal -= s.sentOffset;
    conn.buffered -= s.queuedBytes;
    this.buffered -= s.queuedBytes;
    s.release();
    conn.streams.delete(s.id);
    // RFC 29: a closed stream lets the client open another; only the latest ConnectionMaxStreamId need go
    conn.maxStreamId += 2n;
    const raised: StreamFrame = { type: T.ConnectionMaxStreamId, maxStreamId: conn.maxStreamId };
    const at = conn.control.findIndex((f) => f.type === T.ConnectionMaxStreamId);
    if (at >= 0) conn.control[at] = raised;
    else conn.control.push(raised);
    if (!byClient) conn.control.push({ type: T.StreamClose, streamId: s.id, errorCode, errorMessage });
    // The relay may be inside handle() for this session (a REQ adds its subscription after EOSE): drop after it.
    if (conn.handling) conn.drops.push(s);
    else this.relay.drop(s);
    if (!conn.handling) this.schedulePush(conn);
  }

  private dropClosed(conn: StreamConnection): void {
    if (conn.drops.length === 0) return;
    for (const s of conn.drops.splice(0)) this.relay.drop(s);
  }

  private closeConnection(conn: StreamConnection, errorCode: number, errorMessage: string): void {
    if (conn.closeFrame) return;
    conn.closeFrame = { type: T.ConnectionClose, errorCode, errorMessage };
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = undefined;
    for (const s of conn.streams.values()) {
      this.buffered -= s.queuedBytes;
      conn.buffered -= s.queuedBytes;
      s.release();
      if (conn.handling) conn.drops.push(s);
      else this.relay.drop(s);
    }
    conn.streams.clear();
    conn.control = [];
  }

  // ── sending: data in replies and in our own Prepares ──

  /**
   * Appends StreamData frames for queued output (resends first) within the client's windows and what is left of
   * one packet. Returns whether some stream still has output its window holds back.
   */
  private packData(conn: StreamConnection, frames: StreamFrame[]): boolean {
    let budget = PLAINTEXT_MAX - HEADER_MAX;
    for (const f of frames) budget -= frameBound(f);
    let blocked = false;
    for (const s of conn.streams.values()) {
      for (let r = s.nextResend(budget - DATA_FRAME_OVERHEAD); r; r = s.nextResend(budget - DATA_FRAME_OVERHEAD)) {
        frames.push({ type: T.StreamData, streamId: s.id, offset: BigInt(r.offset), data: r.data });
        budget -= r.data.length + DATA_FRAME_OVERHEAD;
      }
      if (s.queuedBytes === 0) continue;
      const room = Math.min(s.remoteMax - s.sentOffset, conn.remoteMax - conn.sentTotal);
      const n = Math.min(room, s.queuedBytes, budget - DATA_FRAME_OVERHEAD);
      if (n === room && n < s.queuedBytes) blocked = true;
      if (n <= 0) continue;
      frames.push({ type: T.StreamData, streamId: s.id, offset: BigInt(s.sentOffset), data: s.take(n) });
      this.buffered -= n;
      conn.buffered -= n;
      s.sentOffset += n;
      conn.sentTotal += n;
      budget -= n + DATA_FRAME_OVERHEAD;
    }
    return blocked;
  }

  private schedulePush(conn: StreamConnection): void {
    if (conn.pushScheduled || conn.inFlight || conn.timer || conn.closed || !conn.clientAddress) return;
    conn.pushScheduled = true;
    // A microtask: everything written in this turn (a group commit's OKs, one event's fan-out) leaves together.
    queueMicrotask(() => {
      conn.pushScheduled = false;
      this.push(conn, false);
    });
  }

  /** Sends one Prepare with queued output (one at a time per connection); `probe` allows a window-only one. */
  private push(conn: StreamConnection, probe: boolean): void {
    const destination = conn.clientAddress;
    if (conn.closed || conn.inFlight || conn.timer || !destination) return;
    const frames = conn.control.splice(0);
    const blocked = this.packData(conn, frames);
    const hasData = frames.some((f) => f.type === T.StreamData);
    if (!hasData && frames.length === 0 && !blocked) return;
    if (hasData) conn.probes = 0;
    else if (blocked) {
      // Output waits for the client's window: ask for it (its reply carries StreamMaxData), backing off while
      // the answers do not open it (the client is not reading).
      if (!probe && conn.probes > 0 && frames.length === 0) return this.retryLater(conn, conn.probes);
      conn.probes++;
      for (const s of conn.streams.values()) {
        if (s.queuedBytes > 0) frames.push({ type: T.StreamDataBlocked, streamId: s.id, maxOffset: BigInt(s.sentOffset + s.queuedBytes) });
      }
    }
    const sequence = conn.nextSequence++;
    const data = this.seal(conn, sequence, IlpPacketType.Prepare, 0n, frames);
    const condition = conditionFromFulfillment(hmacSha256(conn.fulfillmentKey, data));
    const push: Push = { sequence, frames, condition };
    conn.inFlight = push;
    this.counters.pushes++;
    let sent: Promise<IlpReply>;
    try {
      sent = this.sendPrepare({
        amount: 0n,
        expiresAt: new Date(Date.now() + this.limits.pushExpiry),
        executionCondition: condition,
        destination,
        data,
      });
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (reply) => this.pushed(conn, push, reply),
      (err) => {
        this.log?.warn({ err }, 'STREAM: pushing data failed');
        this.pushed(conn, push, undefined);
      },
    );
  }

  private pushed(conn: StreamConnection, push: Push, reply: IlpReply | undefined): void {
    if (conn.inFlight === push) conn.inFlight = undefined;
    if (conn.closed) return;
    const fulfilled = reply !== undefined && isFulfill(reply) && sameBytes(conditionFromFulfillment(reply.fulfillment), push.condition);
    // The client's answer (Fulfill, or F99 with data) carries its windows and any stream it has closed.
    if (reply && reply.data.length > 0 && (fulfilled || !isFulfill(reply))) this.applyClientReply(conn, push.sequence, reply.data);
    if (conn.closed) return;
    if (fulfilled) {
      conn.failures = 0;
      this.push(conn, false);
      return;
    }
    this.counters.pushFailures++;
    if (reply && !isFulfill(reply)) this.log?.debug({ code: reply.code, message: reply.message }, 'STREAM: push rejected');
    // Not delivered: the data goes out again at the same offsets, control frames with the next packet.
    for (const f of push.frames) {
      if (f.type === T.StreamData) conn.streams.get(f.streamId)?.resend(Number(f.offset), f.data);
      else if (f.type === T.StreamClose || f.type === T.ConnectionMaxStreamId) conn.control.push(f);
    }
    if (++conn.failures >= this.limits.maxPushFailures) {
      this.log?.info({ failures: conn.failures }, 'STREAM: client unreachable, closing the connection');
      this.connections.forget(conn);
      return;
    }
    this.retryLater(conn, conn.failures);
  }

  private retryLater(conn: StreamConnection, attempt: number): void {
    if (conn.timer) return;
    const delay = Math.min(RETRY_DELAY_MIN * 2 ** (attempt - 1), RETRY_DELAY_MAX);
    conn.timer = setTimeout(() => {
      conn.timer = undefined;
      this.push(conn, true);
    }, delay);
    conn.timer.unref();
  }

  /** Frames in the client's reply to one of our Prepares: windows, closes. */
  private applyClientReply(conn: StreamConnection, sequence: bigint, data: Uint8Array): void {
    const plain = decrypt(conn.encryptionKey, data);
    if (!plain) return;
    let packet: StreamPacket;
    try {
      packet = decodeStreamPacket(plain);
    } catch {
      return;
    }
    if (packet.sequence !== sequence) return;
    const before = conn.probes > 0 ? windowsOf(conn) : undefined;
    for (const f of packet.frames) {
      switch (f.type) {
        case T.ConnectionMaxData:
        case T.StreamMaxData:
          openWindow(conn, f);
          break;
        case T.StreamClose: {
          const s = conn.streams.get(f.streamId);
          if (s) this.closeStream(conn, s, true);
          break;
        }
        case T.ConnectionClose:
          this.connections.forget(conn);
          return;
      }
    }
    // A probe that opened a window is progress: the next one need not wait.
    if (before !== undefined && windowsOf(conn) > before) conn.probes = 0;
  }
}

/** Raises the connection's or a stream's send window to what the client announced. */
function openWindow(conn: StreamConnection, f: StreamFrameOf<typeof T.ConnectionMaxData> | StreamFrameOf<typeof T.StreamMaxData>): void {
  if (f.type === T.ConnectionMaxData) {
    conn.remoteMax = raise(conn.remoteMax, f.maxOffset);
    return;
  }
  const s = conn.streams.get(f.streamId);
  if (s) s.remoteMax = raise(s.remoteMax, f.maxOffset);
}

/** Windows only grow (RFC 29); values past 2^53 are as good as unlimited. */
function raise(current: number, offered: bigint): number {
  const n = offered > 9007199254740991n ? Number.MAX_SAFE_INTEGER : Number(offered);
  return n > current ? n : current;
}

function windowsOf(conn: StreamConnection): number {
  let sum = conn.remoteMax;
  for (const s of conn.streams.values()) sum += s.remoteMax;
  return sum;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** An upper bound of a non-data frame's encoded size. */
function frameBound(f: StreamFrame): number {
  switch (f.type) {
    case T.ConnectionClose:
    case T.StreamClose:
      return 32 + 3 * f.errorMessage.length;
    case T.ConnectionAssetDetails:
      return 32 + 3 * f.sourceAssetCode.length;
    case T.ConnectionNewAddress:
      return 32 + 3 * f.sourceAccount.length;
    case T.StreamData:
      return DATA_FRAME_OVERHEAD + f.data.length;
    case T.StreamReceipt:
      return 32 + f.receipt.length;
    default:
      return 40;
  }
}
