/** A client stream as what it carries sees it. */
export interface StreamEnd {
  /** The ILP peer its connection's packets come through. */
  readonly peer: string;
  /** The pubkey its connection pays (`/pay/<pubkey>`); undefined on the operator's connection. */
  readonly pubkey: string | undefined;
  /** Queues one message, written as one line; false when the stream is closed (or closed by this write). */
  write(message: string): boolean;
}

/** What takes one client stream's lines. */
export interface StreamHandler {
  line(text: string): void;
  /** A line of at least `bytes` was skipped: over `limit`. */
  oversized(bytes: number, limit: number): void;
  /** The stream closed: nothing more will come or go. */
  closed(): void;
}

/** What a STREAM connection's client streams carry: the relay's paid sessions (src/relay/stream-session.ts). */
export interface StreamApp {
  open(stream: StreamEnd): StreamHandler;
}
