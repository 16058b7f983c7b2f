import { hmacSha256, type StreamFrame } from '../ilp';
import type { AccountPath } from '../ledger/account-paths';
import type { PaidStream } from './paid-stream';
import type { ConnectionTicket } from './stream-credentials';
import { INITIAL_REMOTE_WINDOW } from './stream-limits';

const FULFILLMENT_LABEL = 'ilp_stream_fulfillment';

/** A Prepare we sent to push data, until its reply. */
export interface Push {
  sequence: bigint;
  frames: StreamFrame[];
  condition: Uint8Array;
}

/**
 * The receiver's memory of one STREAM connection (one SPSP credential), kept in an LRU keyed by token once one of
 * its packets is accepted. Keys are derived once; `streams` holds the client streams open now, by id.
 */
export class StreamConnection {
  readonly pubkey: string | undefined;
  readonly account: AccountPath;
  /** The Open Payments incoming payment this connection pays (its receivedAmount moves with each credit). */
  readonly incomingPayment: string | undefined;
  /** HMAC key of `fulfillment = HMAC(key, prepare.data)`, cached so a packet costs one HMAC, not two. */
  readonly fulfillmentKey: Uint8Array;
  readonly streams = new Map<bigint, PaidStream>();
  /** Highest client stream id ever opened: an id at or below it that is not open has been closed. */
  highestStreamId = 0n;
  /** ConnectionMaxStreamId we allow. */
  maxStreamId: bigint;
  /** Where we send Prepares (ConnectionNewAddress); unknown until the client says. */
  clientAddress: string | undefined;
  /** Send ConnectionAssetDetails and ConnectionMaxStreamId in the next reply (first contact, new address). */
  announce = true;
  /** The client's ConnectionMaxData. */
  remoteMax = INITIAL_REMOTE_WINDOW;
  /** Σ sentOffset over open streams, the figure the client checks against its connection window. */
  sentTotal = 0;
  /** Bytes ever read on all streams: ConnectionMaxData is this plus the window, never shrinking. */
  readTotal = 0;
  /** Frames for the client that ride in the next reply or push (StreamClose, ConnectionMaxStreamId). */
  control: StreamFrame[] = [];
  /** The ConnectionClose we answer with once closed. */
  closeFrame: StreamFrame | undefined;
  /** Inside handle(): writes wait for the reply instead of scheduling a push. */
  handling = false;
  /** Streams closed while handling, whose sessions are dropped once the relay call returns. */
  drops: PaidStream[] = [];
  pushScheduled = false;
  inFlight: Push | undefined;
  nextSequence = 1n;
  /** Consecutive pushes that failed, and pushes that only asked a blocked client for window. */
  failures = 0;
  probes = 0;
  timer: NodeJS.Timeout | undefined;
  /** In the receiver's tables (a packet of it was accepted); and in the LRU of those that received money. */
  kept = false;
  paid = false;
  /** Relay output queued on its streams, bounded by limits.maxBufferedPerConnection. */
  buffered = 0;

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

  hasOutput(): boolean {
    if (this.control.length > 0) return true;
    for (const s of this.streams.values()) if (s.hasOutput()) return true;
    return false;
  }
}
