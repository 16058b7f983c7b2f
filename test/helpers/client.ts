import WebSocket from 'ws';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import type { NostrEvent } from '../../src/nostr/event';

type Message = unknown[];

/** A real WebSocket client that records every relay message and lets a test wait for the next one matching. */
export class TestClient {
  readonly messages: Message[] = [];
  private waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private cursor = 0;
  closed?: { code: number; reason: string };

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Message;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.test(m) ? (w.resolve(m), false) : true));
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** `options` e.g. `{ headers: { 'x-forwarded-for': '10.0.0.1' } }` to come from another address via a trusted proxy. */
  static async connect(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    // Listening before 'open': a relay may send a message (e.g. an AUTH challenge) right as the socket opens.
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The next message (after those already consumed) that passes `test`. */
  next(test: (m: Message) => boolean = () => true, timeoutMs = 5000): Promise<Message> {
    for (; this.cursor < this.messages.length; ) {
      const m = this.messages[this.cursor++];
      if (test(m)) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting; got ${JSON.stringify(this.messages.slice(-3))}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          this.cursor = this.messages.length;
          resolve(m);
        },
      });
    });
  }

  async publish(event: NostrEvent): Promise<[string, string, boolean, string]> {
    this.send(['EVENT', event]);
    return (await this.next((m) => m[0] === 'OK' && m[1] === event.id)) as [string, string, boolean, string];
  }

  /** Sends a REQ and collects the stored events up to EOSE (or the CLOSED that refuses it). */
  async req(subId: string, ...filters: unknown[]): Promise<{ events: NostrEvent[]; closed?: string }> {
    const events: NostrEvent[] = [];
    this.send(['REQ', subId, ...filters]);
    for (;;) {
      const m = await this.next((x) => x[1] === subId && ['EVENT', 'EOSE', 'CLOSED'].includes(x[0] as string));
      if (m[0] === 'EVENT') events.push(m[2] as NostrEvent);
      else if (m[0] === 'CLOSED') return { events, closed: m[2] as string };
      else return { events };
    }
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export interface Signer {
  sk: Uint8Array;
  pubkey: string;
  sign(template: Partial<Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>>): NostrEvent;
}

let clock = Math.floor(Date.now() / 1000) - 1000;

/** A fresh key pair; events get increasing created_at unless the template says otherwise. */
export function signer(): Signer {
  const sk = generateSecretKey();
  return {
    sk,
    pubkey: getPublicKey(sk),
    sign: (t) =>
      // A plain object, as a client would receive it (nostr-tools marks its own with a symbol).
      JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, content: '', tags: [], created_at: clock++, ...t }, sk))) as NostrEvent,
  };
}
