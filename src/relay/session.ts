import type { Filter } from '../nostr/filter';

export interface Subscriber {
  /** Delivers one relay message; returns false when the subscriber is gone. */
  send(message: string): boolean;
  /** Bytes sent but not yet taken by the client; absent where the transport has no such measure. */
  buffered?(): number;
  /** Runs `fn` once the client has taken what was buffered (or at once when nothing is). */
  whenDrained?(fn: () => void): void;
  /**
   * Runs `fn`, whose sends leave together (uWS cork): outside uWS's own callbacks each send is a write of its own,
   * and a stored answer is sent from a worker's reply.
   */
  cork?(fn: () => void): void;
}

export interface Subscription {
  owner: Subscriber;
  id: string;
  /** The subscription id already JSON-encoded, so fan-out only concatenates. */
  idJson: string;
  filters: Filter[];
  /**
   * Ids its stored answer already sent while writes were in flight (committed, so read by the query, but not yet
   * answered and fanned out): their fan-out must not send them again.
   */
  sentUncommitted?: Set<string>;
  /** While its stored answer is being read and sent (relay/stored-answer.ts): fan-out holds live events here. */
  held?: { hold(id: string, raw: string): void; cancel(): void };
}

/** One NIP-01 session: a WebSocket connection, or a stream of a paid STREAM connection. */
export interface Session extends Subscriber {
  readonly subs: Map<string, Subscription>;
  /** The Host the client connected to, for the payment pointer in a refusal (and NIP-42 without PUBLIC_URL). */
  readonly host?: string;
  /**
   * The key of per-IP limits: the client's address (after trusted proxies), or for a paid STREAM session
   * `ilp:<peer id>`, the ILP peer its packets came through; absent where there is none.
   */
  readonly ip?: string;
  /** NIP-42: the challenge sent to this session (made when first needed), and the pubkeys it authenticated. */
  challenge?: string;
  authed?: Set<string>;
}
