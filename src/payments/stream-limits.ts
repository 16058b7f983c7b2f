/** Bounds of the STREAM receiver; every one is per node unless it says otherwise. */
export interface StreamLimits {
  /** Connections kept in memory (LRU by token), counted apart for those that received money and those that did
   *  not; the least recently used of the same kind is closed beyond this. */
  maxConnections: number;
  /** Connections that never received money kept per ILP peer; beyond it that peer's least recently used one is
   *  closed, so one peer cannot push out the others' sessions. */
  maxConnectionsPerPeer: number;
  /** Client streams open at once per connection (ConnectionMaxStreamId = 2 × this, + 2 per closed stream). */
  maxOpenStreams: number;
  /** Bytes a client may send on one stream past what we have read (StreamMaxData). We read at once, so this
   *  only bounds one packet's worth plus out-of-order data. */
  streamWindow: number;
  /** Relay output buffered on one stream for a client that is not reading; beyond it the stream is closed
   *  (also an answer to one REQ larger than this). The WebSocket path allows 64 MiB of backpressure. */
  maxBufferedOutput: number;
  /** The same over all streams of one connection (one client cannot hold most of maxBufferedTotal). */
  maxBufferedPerConnection: number;
  /** The same over all streams of all connections: past it, the stream whose write would pass it is closed. */
  maxBufferedTotal: number;
  /** Longest NIP-01 line a client may send (MAX_MESSAGE_BYTES); a longer one is skipped with a NOTICE. */
  maxLineBytes: number;
  /** Expiry of the Prepares we send to push data, in ms. */
  pushExpiry: number;
  /** Consecutive failed pushes after which the client is taken as gone and the connection closed. */
  maxPushFailures: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = Object.freeze({
  maxConnections: 10_000,
  maxConnectionsPerPeer: 1_000,
  // ilp-protocol-stream's client opens at most 10 at once by default too
  maxOpenStreams: 10,
  streamWindow: 64 * 1024,
  maxBufferedOutput: 16 * 1024 * 1024,
  maxBufferedPerConnection: 32 * 1024 * 1024,
  maxBufferedTotal: 256 * 1024 * 1024,
  maxLineBytes: 262_144,
  pushExpiry: 30_000,
  maxPushFailures: 6,
});

/**
 * What we assume a client accepts before it says (StreamMaxData / ConnectionMaxData): ilp-protocol-stream's
 * stream buffer (16 KiB). Its connection window is larger (64 KiB) but only announced in replies to our Prepares.
 */
export const INITIAL_REMOTE_WINDOW = 16_384;

/** StreamMaxMoney's receiveMax when we take any amount: 2^64 − 1, which the client reads as unlimited. */
export const UNLIMITED = 2n ** 64n - 1n;

/** Backoff between pushes that fail, or that only ask a blocked client for window: doubles from/up to. */
export const RETRY_DELAY_MIN = 50;
export const RETRY_DELAY_MAX = 5_000;
