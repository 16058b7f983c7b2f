import { isFulfill, type IlpReply } from '../../connector/local-receiver';
import {
  conditionFromFulfillment,
  decodeStreamPacket,
  decrypt,
  hmacSha256,
  IlpPacketType,
  StreamFrameType as T,
  type StreamFrame,
  type StreamPacket,
} from '../../ilp';
import { RETRY_DELAY_MAX, RETRY_DELAY_MIN } from '../stream-limits';
import { closeStream } from './close';
import { openWindow, sameBytes, seal, type ReceiverContext } from './context';
import { DATA_FRAME_OVERHEAD, frameBound, HEADER_MAX, PLAINTEXT_MAX } from './frame-size';
import type { Push, StreamConnection } from './state';

/**
 * Appends StreamData frames for queued output (resends first) within the client's windows and what is left of
 * one packet. Returns whether some stream still has output its window holds back.
 */
export function packData(ctx: ReceiverContext, conn: StreamConnection, frames: StreamFrame[]): boolean {
  let budget = PLAINTEXT_MAX - HEADER_MAX;
  for (const f of frames) budget -= frameBound(f);
  let blocked = false;
  for (const s of conn.streams.values()) {
    const out = s.outgoing;
    for (let r = out.nextResend(budget - DATA_FRAME_OVERHEAD); r; r = out.nextResend(budget - DATA_FRAME_OVERHEAD)) {
      frames.push({ type: T.StreamData, streamId: s.id, offset: BigInt(r.offset), data: r.data });
      budget -= r.data.length + DATA_FRAME_OVERHEAD;
    }
    if (out.queuedBytes === 0) continue;
    const room = Math.min(out.remoteMax - out.sentOffset, conn.remoteMax - conn.sentTotal);
    const n = Math.min(room, out.queuedBytes, budget - DATA_FRAME_OVERHEAD);
    if (n === room && n < out.queuedBytes) blocked = true;
    if (n <= 0) continue;
    const offset = out.sentOffset;
    frames.push({ type: T.StreamData, streamId: s.id, offset: BigInt(offset), data: out.take(n) });
    ctx.output.buffered -= n;
    conn.buffered -= n;
    conn.sentTotal += n;
    budget -= n + DATA_FRAME_OVERHEAD;
  }
  return blocked;
}

export function schedulePush(ctx: ReceiverContext, conn: StreamConnection): void {
  const p = conn.pushing;
  if (p.scheduled || p.inFlight || p.timer || conn.closed || !conn.clientAddress) return;
  p.scheduled = true;
  // A microtask: everything written in this turn (a group commit's OKs, one event's fan-out) leaves together.
  queueMicrotask(() => {
    p.scheduled = false;
    push(ctx, conn, false);
  });
}

/** Sends one Prepare with queued output (one at a time per connection); `probe` allows a window-only one. */
function push(ctx: ReceiverContext, conn: StreamConnection, probe: boolean): void {
  const p = conn.pushing;
  const destination = conn.clientAddress;
  if (conn.closed || p.inFlight || p.timer || !destination) return;
  const frames = conn.control.splice(0);
  const blocked = packData(ctx, conn, frames);
  const hasData = frames.some((f) => f.type === T.StreamData);
  if (!hasData && frames.length === 0 && !blocked) return;
  if (hasData) p.probes = 0;
  else if (blocked) {
    // Output waits for the client's window: ask for it (its reply carries StreamMaxData), backing off while
    // the answers do not open it (the client is not reading).
    if (!probe && p.probes > 0 && frames.length === 0) return retryLater(ctx, conn, p.probes);
    p.probes++;
    for (const s of conn.streams.values()) {
      const out = s.outgoing;
      if (out.queuedBytes > 0) frames.push({ type: T.StreamDataBlocked, streamId: s.id, maxOffset: BigInt(out.sentOffset + out.queuedBytes) });
    }
  }
  const sequence = p.nextSequence++;
  const data = seal(conn, sequence, IlpPacketType.Prepare, 0n, frames);
  const condition = conditionFromFulfillment(hmacSha256(conn.fulfillmentKey, data));
  const sending: Push = { sequence, frames, condition };
  p.inFlight = sending;
  ctx.counters.pushes++;
  let sent: Promise<IlpReply>;
  try {
    sent = ctx.sendPrepare({
      amount: 0n,
      expiresAt: new Date(Date.now() + ctx.limits.pushExpiry),
      executionCondition: condition,
      destination,
      data,
    });
  } catch (err) {
    sent = Promise.reject(err);
  }
  sent.then(
    (reply) => pushed(ctx, conn, sending, reply),
    (err) => {
      ctx.log?.warn({ err }, 'STREAM: pushing data failed');
      pushed(ctx, conn, sending, undefined);
    },
  );
}

function pushed(ctx: ReceiverContext, conn: StreamConnection, sending: Push, reply: IlpReply | undefined): void {
  const p = conn.pushing;
  if (p.inFlight === sending) p.inFlight = undefined;
  if (conn.closed) return;
  const fulfilled = reply !== undefined && isFulfill(reply) && sameBytes(conditionFromFulfillment(reply.fulfillment), sending.condition);
  // The client's answer (Fulfill, or F99 with data) carries its windows and any stream it has closed.
  if (reply && reply.data.length > 0 && (fulfilled || !isFulfill(reply))) applyClientReply(ctx, conn, sending.sequence, reply.data);
  if (conn.closed) return;
  if (fulfilled) {
    p.failures = 0;
    push(ctx, conn, false);
    return;
  }
  ctx.counters.pushFailures++;
  if (reply && !isFulfill(reply)) ctx.log?.debug({ code: reply.code, message: reply.message }, 'STREAM: push rejected');
  // Not delivered: the data goes out again at the same offsets, control frames with the next packet.
  for (const f of sending.frames) {
    if (f.type === T.StreamData) conn.streams.get(f.streamId)?.outgoing.resend(Number(f.offset), f.data);
    else if (f.type === T.StreamClose || f.type === T.ConnectionMaxStreamId) conn.control.push(f);
  }
  if (++p.failures >= ctx.limits.maxPushFailures) {
    ctx.log?.info({ failures: p.failures }, 'STREAM: client unreachable, closing the connection');
    ctx.connections.forget(conn);
    return;
  }
  retryLater(ctx, conn, p.failures);
}

function retryLater(ctx: ReceiverContext, conn: StreamConnection, attempt: number): void {
  const p = conn.pushing;
  if (p.timer) return;
  const delay = Math.min(RETRY_DELAY_MIN * 2 ** (attempt - 1), RETRY_DELAY_MAX);
  p.timer = setTimeout(() => {
    p.timer = undefined;
    push(ctx, conn, true);
  }, delay);
  p.timer.unref();
}

/** Frames in the client's reply to one of our Prepares: windows, closes. */
function applyClientReply(ctx: ReceiverContext, conn: StreamConnection, sequence: bigint, data: Uint8Array): void {
  const plain = decrypt(conn.encryptionKey, data);
  if (!plain) return;
  let packet: StreamPacket;
  try {
    packet = decodeStreamPacket(plain);
  } catch {
    return;
  }
  if (packet.sequence !== sequence) return;
  const before = conn.pushing.probes > 0 ? windowsOf(conn) : undefined;
  for (const f of packet.frames) {
    switch (f.type) {
      case T.ConnectionMaxData:
      case T.StreamMaxData:
        openWindow(conn, f);
        break;
      case T.StreamClose: {
        const s = conn.streams.get(f.streamId);
        if (s) {
          closeStream(ctx, conn, s, true);
          if (!conn.handling) schedulePush(ctx, conn);
        }
        break;
      }
      case T.ConnectionClose:
        ctx.connections.forget(conn);
        return;
    }
  }
  // A probe that opened a window is progress: the next one need not wait.
  if (before !== undefined && windowsOf(conn) > before) conn.pushing.probes = 0;
}

function windowsOf(conn: StreamConnection): number {
  let sum = conn.remoteMax;
  for (const s of conn.streams.values()) sum += s.outgoing.remoteMax;
  return sum;
}
