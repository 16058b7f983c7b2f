import { StreamFrameType as T, type StreamFrame } from '../../ilp';
import type { ReceiverContext } from './context';
import type { ClientStream, StreamConnection } from './state';

/**
 * Closes one stream: its buffers are released, the client may open another (ConnectionMaxStreamId), and unless
 * the client closed it, a StreamClose goes out. The caller schedules the push that carries them.
 */
export function closeStream(ctx: ReceiverContext, conn: StreamConnection, s: ClientStream, byClient: boolean, errorCode = 0, errorMessage = ''): void {
  if (!s.open) return;
  conn.sentTotal -= s.outgoing.sentOffset;
  conn.buffered -= s.outgoing.queuedBytes;
  ctx.output.buffered -= s.outgoing.queuedBytes;
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
  else s.closed();
}

/** Tells the handlers of the streams closed while a packet was being handled. */
export function dropClosed(conn: StreamConnection): void {
  if (conn.drops.length === 0) return;
  for (const s of conn.drops.splice(0)) s.closed();
}

/** Closes the connection (evicted, forgotten, shut down): every stream with it; later packets get `closeFrame`. */
export function closeConnection(ctx: ReceiverContext, conn: StreamConnection, errorCode: number, errorMessage: string): void {
  if (conn.closeFrame) return;
  conn.closeFrame = { type: T.ConnectionClose, errorCode, errorMessage };
  if (conn.pushing.timer) clearTimeout(conn.pushing.timer);
  conn.pushing.timer = undefined;
  for (const s of conn.streams.values()) {
    ctx.output.buffered -= s.outgoing.queuedBytes;
    conn.buffered -= s.outgoing.queuedBytes;
    s.release();
    if (conn.handling) conn.drops.push(s);
    else s.closed();
  }
  conn.streams.clear();
  conn.control = [];
}
