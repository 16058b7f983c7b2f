import type { Accepted } from '../../connector/local-receiver';
import {
  conditionFromFulfillment,
  createReject,
  decodeStreamPacket,
  decrypt,
  hmacSha256,
  IlpErrorCode,
  IlpPacketType,
  StreamErrorCode,
  StreamFrameType as T,
  streamEncryptionKey,
  type IlpPrepare,
  type IlpReject,
  type StreamFrame,
  type StreamPacket,
} from '../../ilp';
import type { StreamCredentials } from '../stream-credentials';
import { fulfillPacket } from './apply-frames';
import { openWindow, sameBytes, seal, type ReceiverContext } from './context';
import { StreamConnection } from './state';

/** What acceptance needs beyond the shared context. */
export interface AcceptContext extends ReceiverContext {
  readonly credentials: StreamCredentials;
  /** `<ILP_ADDRESS>.` */
  readonly prefix: string;
  readonly assetDetails: StreamFrame;
  readonly admitConnection: ((peer: string) => boolean) | undefined;
  /** Open Payments: whether an incoming payment still takes money (src/open-payments/incoming-payments.ts). */
  readonly incomingPayments: { takesMoney(id: string): boolean } | undefined;
}

const CLOSED_PAYMENT: StreamFrame = {
  type: T.ConnectionClose,
  errorCode: StreamErrorCode.NoError,
  errorMessage: 'the incoming payment is completed or expired',
};

/**
 * The first phase of a Prepare (RFC 29 receiver algorithm, as ilp-protocol-stream answers): decrypted and checked
 * before money moves. Either a Reject, or the account and amount to credit with `deliver()`, which applies the
 * frames once the credit is durable.
 */
export function acceptPacket(ctx: AcceptContext, prepare: IlpPrepare, from: string): Accepted | IlpReject {
  const dest = prepare.destination;
  if (!dest.startsWith(ctx.prefix)) return reject(ctx, IlpErrorCode.F02_UNREACHABLE, 'not a STREAM address of this node');
  const dot = dest.indexOf('.', ctx.prefix.length);
  const token = dest.slice(ctx.prefix.length, dot < 0 ? undefined : dot);
  if (token.length === 0) return reject(ctx, IlpErrorCode.F02_UNREACHABLE, 'no STREAM connection in the address');

  let conn = ctx.connections.lookup(token);
  const ticket = conn ? undefined : ctx.credentials.open(token);
  if (!conn && !ticket) return reject(ctx, IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'unknown STREAM connection');
  const key = conn ? conn.encryptionKey : streamEncryptionKey(ticket!.sharedSecret);
  // Nothing encrypted in the answers below: whoever sent these does not hold the shared secret.
  const plain = decrypt(key, prepare.data);
  if (!plain) return reject(ctx, IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'cannot decrypt the STREAM data');
  let packet: StreamPacket;
  try {
    packet = decodeStreamPacket(plain);
  } catch {
    return reject(ctx, IlpErrorCode.F06_UNEXPECTED_PAYMENT, 'malformed STREAM packet');
  }
  if (packet.ilpPacketType !== IlpPacketType.Prepare) {
    return reject(ctx, IlpErrorCode.F00_BAD_REQUEST, 'STREAM packet is not of type Prepare');
  }
  // Not kept until the packet is accepted (below): whoever holds a credential cannot fill the table with probes.
  if (!conn) {
    conn = new StreamConnection(token, ticket!, key, ctx.limits.maxOpenStreams, from);
    conn.clientAddress = ctx.connections.addressOf(token);
  }
  return answer(ctx, conn, prepare, packet);
}

function answer(ctx: AcceptContext, conn: StreamConnection, prepare: IlpPrepare, packet: StreamPacket): Accepted | IlpReject {
  const reply: StreamFrame[] = [];
  if (conn.closeFrame) return refuse(ctx, conn, packet, prepare.amount, [conn.closeFrame]);
  // Open Payments: once its incoming payment is completed or expired, a connection takes nothing more.
  if (conn.incomingPayment !== undefined && !ctx.incomingPayments?.takesMoney(conn.incomingPayment)) {
    return refuse(ctx, conn, packet, prepare.amount, [CLOSED_PAYMENT]);
  }

  // Connection-level frames that are safe to apply whatever becomes of the packet (the client's test packets,
  // which we reject, are how it tells us its address).
  let closing = false;
  for (const f of packet.frames) {
    switch (f.type) {
      case T.ConnectionNewAddress:
        if (f.sourceAccount !== conn.clientAddress) conn.announce = true;
        conn.clientAddress = f.sourceAccount;
        if (!conn.kept) ctx.connections.announce(conn.token, f.sourceAccount);
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
    reply.push(ctx.assetDetails, { type: T.ConnectionMaxStreamId, maxStreamId: conn.maxStreamId });
  }
  if (closing) {
    ctx.connections.forget(conn); // dispose closes it
    return refuse(ctx, conn, packet, prepare.amount, [...reply, { type: T.ConnectionClose, errorCode: StreamErrorCode.NoError, errorMessage: '' }]);
  }
  if (prepare.amount < packet.prepareAmount) return refuse(ctx, conn, packet, prepare.amount, reply);
  const fulfillment = hmacSha256(conn.fulfillmentKey, prepare.data);
  // Unfulfillable: the sender's probes (test packets, ConnectionClose) carry a random condition.
  if (!sameBytes(conditionFromFulfillment(fulfillment), prepare.executionCondition)) {
    return refuse(ctx, conn, packet, prepare.amount, reply);
  }
  const opened = checkStreams(ctx, conn, packet.frames, reply);
  if (opened === false) return refuse(ctx, conn, packet, prepare.amount, reply);

  if (!conn.kept) {
    // A connection that brings money is always taken; free ones come at the peer's connection rate.
    if (prepare.amount === 0n && ctx.admitConnection?.(conn.peer) === false) {
      ctx.counters.rejected++;
      return reject(ctx, IlpErrorCode.T05_RATE_LIMITED, 'too many new STREAM connections from this peer; try again shortly');
    }
    ctx.connections.keep(conn);
  }
  const accepted = conn;
  return {
    account: accepted.account,
    amount: prepare.amount,
    incomingPayment: accepted.incomingPayment,
    deliver: () => {
      if (prepare.amount > 0n) ctx.connections.promote(accepted);
      return fulfillPacket(ctx, accepted, prepare, packet, opened, reply, fulfillment);
    },
    refused: () => {
      ctx.counters.rejected++;
      accepted.announce ||= announced; // that reply carries no STREAM data
    },
  };
}

/**
 * Checks the packet's stream frames before money moves. Returns the ids of streams it opens (usually none), or
 * false when it must be rejected (the reason is in `reply`; a protocol violation also closes the connection).
 */
function checkStreams(ctx: AcceptContext, conn: StreamConnection, frames: StreamFrame[], reply: StreamFrame[]): Set<bigint> | undefined | false {
  let opened: Set<bigint> | undefined;
  for (const f of frames) {
    if (f.type !== T.StreamMoney && f.type !== T.StreamData && f.type !== T.StreamMaxMoney && f.type !== T.StreamMaxData) {
      continue;
    }
    const id = f.streamId;
    const s = conn.streams.get(id);
    let readOffset = s?.incoming.readOffset ?? 0;
    if (!s && !opened?.has(id)) {
      if (id % 2n === 0n) {
        return violation(ctx, conn, reply, StreamErrorCode.ProtocolViolation, `client streams have odd ids, got ${id}`);
      }
      if (id <= conn.highestStreamId) {
        // closed: window frames for it are stale, money or data for it is refused as ilp-protocol-stream does
        if (f.type === T.StreamMaxMoney || f.type === T.StreamMaxData) continue;
        reply.push({ type: T.StreamClose, streamId: id, errorCode: StreamErrorCode.StreamStateError, errorMessage: 'Stream is already closed' });
        return false;
      }
      if (id > conn.maxStreamId) {
        return violation(ctx, conn, reply, StreamErrorCode.StreamIdError, `stream ${id} is above the maximum ${conn.maxStreamId}`);
      }
      (opened ??= new Set()).add(id);
      readOffset = 0;
    }
    if (f.type === T.StreamData && Number(f.offset) + f.data.length > readOffset + ctx.limits.streamWindow) {
      return violation(ctx, conn, reply, StreamErrorCode.FlowControlError, `stream ${id} sent past its window`);
    }
  }
  return opened;
}

function violation(ctx: AcceptContext, conn: StreamConnection, reply: StreamFrame[], errorCode: number, errorMessage: string): false {
  reply.push({ type: T.ConnectionClose, errorCode, errorMessage });
  ctx.connections.forget(conn);
  return false;
}

/** F99 with an encrypted Reject packet saying how much arrived, as RFC 29 asks. */
function refuse(ctx: AcceptContext, conn: StreamConnection, packet: StreamPacket, amount: bigint, frames: StreamFrame[]): IlpReject {
  ctx.counters.rejected++;
  return reject(ctx, IlpErrorCode.F99_APPLICATION_ERROR, '', seal(conn, packet.sequence, IlpPacketType.Reject, amount, frames));
}

function reject(ctx: AcceptContext, code: IlpErrorCode, message: string, data?: Uint8Array): IlpReject {
  return createReject(code, ctx.credentials.ilpAddress, message, data);
}
