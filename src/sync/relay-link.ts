/**
 * The little of a WebSocket the sync client uses: the WHATWG interface of browsers and Node ≥ 22's global, which
 * the `ws` package also offers.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: { type: string }) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

type Listener = { message: (m: unknown[]) => void; closed: () => void };

/** A client connection to a relay: JSON arrays out, parsed JSON arrays in, handed to whoever listens. */
export class RelayLink {
  private readonly listeners = new Set<Listener>();
  private isClosed = false;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocketLike,
  ) {
    ws.addEventListener('message', (event) => {
      const data = (event as { data?: unknown }).data;
      let m: unknown;
      try {
        m = JSON.parse(typeof data === 'string' ? data : String(data));
      } catch {
        return;
      }
      if (!Array.isArray(m)) return;
      for (const l of [...this.listeners]) l.message(m);
    });
    ws.addEventListener('close', () => {
      this.isClosed = true;
      for (const l of [...this.listeners]) l.closed();
    });
  }

  /** Connects; `WebSocket` defaults to the global one (Node ≥ 22, browsers); on Node 20 pass `ws`'s. */
  static open(url: string, WebSocket?: WebSocketConstructor, timeoutMs = 10_000): Promise<RelayLink> {
    const Impl = WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) return Promise.reject(new Error('no WebSocket implementation: pass one (e.g. the ws package) on Node < 22'));
    return new Promise((resolve, reject) => {
      const ws = new Impl(url);
      const timer = setTimeout(() => {
        reject(new Error(`connecting to ${url} timed out`));
        ws.close();
      }, timeoutMs);
      ws.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new RelayLink(url, ws));
      });
      ws.addEventListener('error', () => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${url}`));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(message: unknown[]): void {
    if (!this.isClosed) this.ws.send(JSON.stringify(message));
  }

  /** Queues the relay's messages that pass `test` from now on; take them in order with `next`. */
  inbox(test: (m: unknown[]) => boolean): Inbox {
    return new Inbox(this, test);
  }

  listen(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.ws.close();
  }
}

/** Messages of one conversation (a NEG session, a REQ, a batch of EVENTs), queued until taken. */
export class Inbox {
  private readonly queue: unknown[][] = [];
  private waiter?: (m: unknown[] | 'closed' | 'timeout') => void;
  private linkClosed = false;
  private readonly stop: () => void;

  constructor(link: RelayLink, test: (m: unknown[]) => boolean) {
    this.linkClosed = link.closed;
    this.stop = link.listen({
      message: (m) => {
        if (!test(m)) return;
        if (this.waiter) this.waiter(m);
        else this.queue.push(m);
      },
      closed: () => {
        this.linkClosed = true;
        this.waiter?.('closed');
      },
    });
  }

  /** The next message, or 'closed' / 'timeout'. */
  next(timeoutMs: number): Promise<unknown[] | 'closed' | 'timeout'> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.linkClosed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      const done = (m: unknown[] | 'closed' | 'timeout') => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(m);
      };
      this.waiter = done;
    });
  }

  close(): void {
    this.stop();
  }
}
