import type { StreamApp, StreamEnd, StreamHandler } from '../payments/stream/app';
import { noticeMessage } from './messages';
import type { Session, Subscription } from './session';

/** The relay as a paid session sees it (src/relay/relay.ts Relay). */
export interface SessionHost {
  /** A new session (sends the NIP-42 challenge when the relay wants one at once). */
  open(session: Session): void;
  handle(session: Session, text: string): void;
  drop(session: Session): void;
}

const OPERATOR_REFUSAL = noticeMessage(
  'restricted: this connection pays the relay operator; NIP-01 messages need a connection from /pay/<pubkey>',
);

/**
 * One client stream of a paid STREAM connection as a NIP-01 session, the relay's second transport beside the
 * WebSocket: its own subscriptions and NIP-42 state; events in it are paid by their authors (the connection's
 * pubkey only receives the money), as on the WebSocket; per-IP limits count per ILP peer.
 */
export class StreamSession implements Session {
  readonly subs = new Map<string, Subscription>();
  /** Session: the per-IP limits' key, the ILP peer the connection's packets come through. */
  readonly ip: string;
  challenge?: string;
  authed?: Set<string>;

  constructor(private readonly stream: StreamEnd) {
    this.ip = `ilp:${stream.peer}`;
  }

  /** Session: a relay message, written as one line. */
  send(message: string): boolean {
    return this.stream.write(message);
  }
}

/**
 * The paid sessions the STREAM receiver's streams carry. On a `/pay/<pubkey>` connection each client stream is a
 * session, each `\n`-terminated line one Relay.handle call. The operator's connection (`/.well-known/pay`) takes
 * money only: data there is read and discarded, with one NOTICE per stream saying where sessions are opened.
 */
export function streamSessions(relay: SessionHost): StreamApp {
  return {
    open(stream: StreamEnd): StreamHandler {
      const oversized = (bytes: number, limit: number) =>
        void stream.write(noticeMessage(`invalid: message of at least ${bytes} bytes is over the limit of ${limit}`));
      if (stream.pubkey === undefined) {
        let refused = false;
        return {
          line: () => {
            if (refused) return;
            refused = true;
            stream.write(OPERATOR_REFUSAL);
          },
          oversized,
          closed: () => undefined,
        };
      }
      const session = new StreamSession(stream);
      relay.open(session);
      return { line: (text) => relay.handle(session, text), oversized, closed: () => relay.drop(session) };
    },
  };
}
