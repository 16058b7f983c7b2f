import { StreamErrorCode } from '../../ilp';
import { closeStream } from './close';
import type { ReceiverContext } from './context';
import { schedulePush } from './push';
import type { ClientStream, StreamConnection } from './state';

const UNREAD = 'too much unread data on this stream';

/**
 * Queues one message of a stream's handler, within the bounds per stream, per connection and in all; the stream
 * whose write would pass one is closed, but at the global bound first the streams of the connection holding the
 * most, when that is another. Outside a packet's handling the write schedules a push.
 */
export function write(ctx: ReceiverContext, s: ClientStream, message: string): boolean {
  const conn = s.connection;
  if (!s.open || conn.closed) return false;
  const bytes = Buffer.from(`${message}\n`, 'utf8');
  const { limits, output } = ctx;
  if (output.buffered + bytes.length > limits.maxBufferedTotal) shedLargest(ctx, conn);
  if (
    s.outgoing.queuedBytes + bytes.length > limits.maxBufferedOutput ||
    conn.buffered + bytes.length > limits.maxBufferedPerConnection ||
    output.buffered + bytes.length > limits.maxBufferedTotal
  ) {
    closeStream(ctx, conn, s, false, StreamErrorCode.ApplicationError, UNREAD);
    if (!conn.handling) schedulePush(ctx, conn);
    return false;
  }
  s.outgoing.enqueue(bytes);
  conn.buffered += bytes.length;
  output.buffered += bytes.length;
  if (!conn.handling) schedulePush(ctx, conn);
  return true;
}

/**
 * The global output bound is reached: the connection holding the most unread output, if another holds more
 * than `writer`, has its streams with queued output closed, so clients that do not read cannot starve the rest.
 */
function shedLargest(ctx: ReceiverContext, writer: StreamConnection): void {
  let largest = writer;
  for (const c of ctx.connections.values()) if (c.buffered > largest.buffered) largest = c;
  if (largest === writer) return;
  ctx.log?.info({ buffered: largest.buffered }, 'STREAM: output bound reached, closing the streams of the largest unread connection');
  for (const s of [...largest.streams.values()]) {
    if (s.outgoing.queuedBytes > 0) closeStream(ctx, largest, s, false, StreamErrorCode.ApplicationError, UNREAD);
  }
  if (!largest.handling) schedulePush(ctx, largest);
}
