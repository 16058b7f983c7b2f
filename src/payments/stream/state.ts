import { hmacSha256, type StreamFrame } from '../../ilp';
import type { AccountPath } from '../../ledger/account-paths';
import type { ConnectionTicket } from '../stream-credentials';
import { INITIAL_REMOTE_WINDOW } from '../stream-limits';
import type { StreamApp, StreamEnd, StreamHandler } from './app';
import { IncomingBytes } from './incoming';
import { OutgoingBytes, raise } from './outgoing';

const FULFILLMENT_LABEL = 'ilp_stream_fulfillment';

/** A Prepare we sent to push data, until its reply. */
export interface Push {
  sequence: bigint;
  frames: StreamFrame[];
  condition: Uint8Array;
}

/** The pushes of one connection (push.ts): one Prepare in flight, backoff while they fail. */
export interface PushState {
  scheduled: boolean;
  inFlight: Push | undefined;
  nextSequence: bigint;
  /** Consecutive pushes that failed, and pushes that only asked a blocked client for window. */
  failures: number;
  probes: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The receiver's memory of one STREAM connection (one SPSP credential), kept in an LRU keyed by token once one of
 * its packets is accepted. Keys are derived once; `streams` holds the client streams open now, by id. Each mutable
 * field is changed only by the file named above it; the windows and the streams' offsets only through methods.
 */
export class StreamConnection {
  readonly pubkey: string | undefined;
  readonly account: AccountPath;
  /** The Open Payments incoming payment this connection pays (its receivedAmount moves with each credit). */
  readonly incomingPayment: string | undefined;
  /** HMAC key of `fulfillment = HMAC(key, prepare.data)`, cached so a packet costs one HMAC, not two. */
  readonly fulfillmentKey: Uint8Array;
  readonly streams = new Map<bigint, ClientStream>();

  // receive.ts
  /** Where we send Prepares (ConnectionNewAddress); unknown until the client says. */
  clientAddress: string | undefined;
  /** Send ConnectionAssetDetails and ConnectionMaxStreamId in the next reply (first contact, new address). */
  announce = true;

  // connections.ts
  /** In the receiver's tables (a packet of it was accepted); and in the LRU of those that received money. */
  kept = false;
  paid = false;

  // apply-frames.ts
  /** Highest client stream id ever opened: an id at or below it that is not open has been closed. */
  highestStreamId = 0n;
  /** Bytes ever read on all streams: ConnectionMaxData is this plus the window, never shrinking. */
  readTotal = 0;
  /** Inside deliver(): writes wait for the reply instead of scheduling a push. */
  handling = false;

  // close.ts
  /** ConnectionMaxStreamId we allow. */
  maxStreamId: bigint;
  /** The ConnectionClose we answer with once closed. */
  closeFrame: StreamFrame | undefined;
  /** Streams closed while handling, whose handlers are told once the relay call returns. */
  drops: ClientStream[] = [];
  /** Frames for the client that ride in the next reply or push (StreamClose, ConnectionMaxStreamId): close.ts adds
   *  them (push.ts again those of a failed push), apply-frames.ts and push.ts send them. */
  control: StreamFrame[] = [];

  // output.ts (queued), push.ts (sent), close.ts (released)
  /** Relay output queued on its streams, bounded by limits.maxBufferedPerConnection. */
  buffered = 0;
  /** Σ sentOffset over open streams, the figure the client checks against its connection window. */
  sentTotal = 0;

  // push.ts (close.ts stops its timer)
  readonly pushing: PushState = { scheduled: false, inFlight: undefined, nextSequence: 1n, failures: 0, probes: 0, timer: undefined };
  private window = INITIAL_REMOTE_WINDOW;

  constructor(
    readonly token: string,
    ticket: ConnectionTicket,
    readonly encryptionKey: Uint8Array,
    maxOpenStreams: number,
    /** The ILP peer its first accepted packet came from: its per-peer bounds and its sessions' rate limits. */
    readonly peer: string,
  ) {
    this.pubkey = ticket.pubkey;
    this.account = ticket.account;
    this.incomingPayment = ticket.incomingPayment;
    this.fulfillmentKey = hmacSha256(ticket.sharedSecret, FULFILLMENT_LABEL);
    this.maxStreamId = BigInt(2 * maxOpenStreams);
  }

  get closed(): boolean {
    return this.closeFrame !== undefined;
  }

  /** The client's ConnectionMaxData. */
  get remoteMax(): number {
    return this.window;
  }

  raiseWindow(offered: bigint): void {
    this.window = raise(this.window, offered);
  }

  hasOutput(): boolean {
    if (this.control.length > 0) return true;
    for (const s of this.streams.values()) if (s.outgoing.hasOutput()) return true;
    return false;
  }
}

/**
 * One client stream of a STREAM connection: its bytes in and out, the money it received, and the handler its
 * lines go to (on a `/pay/<pubkey>` connection, a NIP-01 session of the relay).
 */
export class ClientStream implements StreamEnd {
  open = true;
  /** Money received on this stream (its share of each packet), reported in StreamMaxMoney. */
  totalReceived = 0n;
  readonly incoming: IncomingBytes;
  readonly outgoing = new OutgoingBytes();
  private handler: StreamHandler | undefined;

  constructor(
    readonly id: bigint,
    readonly connection: StreamConnection,
    /** The receiver's output path (bounds, then a push). */
    private readonly out: (stream: ClientStream, message: string) => boolean,
    maxLineBytes: number,
    maxEarlyBytes: number,
  ) {
    this.incoming = new IncomingBytes(
      { line: (text) => this.handler?.line(text), oversized: (bytes) => this.handler?.oversized(bytes, maxLineBytes) },
      maxLineBytes,
      maxEarlyBytes,
    );
  }

  /** Hands the stream to what it carries, once it is in its connection's table. */
  attach(app: StreamApp): void {
    this.handler = app.open(this);
  }

  get peer(): string {
    return this.connection.peer;
  }

  get pubkey(): string | undefined {
    return this.connection.pubkey;
  }

  write(message: string): boolean {
    return this.out(this, message);
  }

  /** Forgets every buffer (the stream closed); its handler is told by closed(). */
  release(): void {
    this.open = false;
    this.incoming.release();
    this.outgoing.release();
  }

  closed(): void {
    this.handler?.closed();
  }
}
