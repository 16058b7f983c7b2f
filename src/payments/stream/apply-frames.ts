import { IlpPacketType, StreamFrameType as T, type IlpFulfill, type IlpPrepare, type StreamFrame, type StreamPacket } from '../../ilp';
import { UNLIMITED } from '../stream-limits';
import { closeStream, dropClosed } from './close';
import { seal, type ReceiverContext } from './context';
import { write } from './output';
import { packData, schedulePush } from './push';
import { ClientStream, type StreamConnection } from './state';

/**
 * The packet's money is in (durable): its frames are applied and the Fulfill built, whatever its data does.
 * `reply` holds the frames decided at acceptance; `opened` the streams the packet may open.
 */
export function fulfillPacket(
  ctx: ReceiverContext,
  conn: StreamConnection,
  prepare: IlpPrepare,
  packet: StreamPacket,
  opened: Set<bigint> | undefined,
  reply: StreamFrame[],
  fulfillment: Uint8Array,
): IlpFulfill {
  ctx.counters.fulfilled++;
  // Closed while the credit was written (evicted, closed by another packet): paid, but nothing to carry data.
  if (conn.closeFrame) {
    reply.push(conn.closeFrame);
    return { fulfillment, data: seal(conn, packet.sequence, IlpPacketType.Fulfill, prepare.amount, reply) };
  }
  conn.handling = true;
  try {
    applyStreamFrames(ctx, conn, packet.frames, prepare.amount, opened, reply);
  } catch (err) {
    ctx.log?.error({ err }, 'STREAM: error while processing a paid packet');
  } finally {
    conn.handling = false;
    dropClosed(conn);
  }
  reply.push({ type: T.ConnectionMaxData, maxOffset: BigInt(conn.readTotal + ctx.limits.streamWindow * ctx.limits.maxOpenStreams) });
  if (conn.control.length > 0) for (const f of conn.control.splice(0)) reply.push(f);
  packData(ctx, conn, reply);
  if (conn.hasOutput()) schedulePush(ctx, conn);
  return { fulfillment, data: seal(conn, packet.sequence, IlpPacketType.Fulfill, prepare.amount, reply) };
}

/** Money shares, windows, data (lines to the relay), then stream closes; the reply gets each stream's limits. */
function applyStreamFrames(
  ctx: ReceiverContext,
  conn: StreamConnection,
  frames: StreamFrame[],
  amount: bigint,
  opened: Set<bigint> | undefined,
  reply: StreamFrame[],
): void {
  let shares = 0n;
  for (const f of frames) if (f.type === T.StreamMoney) shares += f.shares;
  let distributed = 0n;
  let firstPaid: ClientStream | undefined;
  const touched: ClientStream[] = [];
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
        const s = conn.streams.get(id) ?? (opened?.has(id) && id > highest ? openStream(ctx, conn, id) : undefined);
        if (!s || !s.open) break;
        if (!touched.includes(s)) touched.push(s);
        if (f.type === T.StreamMoney && shares > 0n) {
          const share = (amount * f.shares) / shares;
          s.totalReceived += share;
          distributed += share;
          if (!firstPaid || s.id < firstPaid.id) firstPaid = s;
        } else if (f.type === T.StreamMaxData) {
          s.outgoing.raiseWindow(f.maxOffset);
        } else if (f.type === T.StreamData) {
          const before = s.incoming.readOffset;
          s.incoming.receive(Number(f.offset), f.data);
          conn.readTotal += s.incoming.readOffset - before;
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
      if (s) closeStream(ctx, conn, s, true);
    }
  }
  for (const s of touched) {
    if (!s.open) continue;
    reply.push(
      { type: T.StreamMaxMoney, streamId: s.id, receiveMax: UNLIMITED, totalReceived: s.totalReceived },
      { type: T.StreamMaxData, streamId: s.id, maxOffset: BigInt(s.incoming.readOffset + ctx.limits.streamWindow) },
    );
  }
}

function openStream(ctx: ReceiverContext, conn: StreamConnection, id: bigint): ClientStream {
  const s = new ClientStream(id, conn, (stream, message) => write(ctx, stream, message), ctx.limits.maxLineBytes, ctx.limits.streamWindow);
  conn.streams.set(id, s);
  if (id > conn.highestStreamId) conn.highestStreamId = id;
  s.attach(ctx.app);
  return s;
}
