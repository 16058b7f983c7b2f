// A raw BTP client over a real WebSocket: sends any bytes, and waits for the server's answer by request id.
import WebSocket from 'ws';
import { BtpMessageType, btpAuthMessage, decodeBtpPacket, encodeBtpPacket, type BtpPacket } from '../../src/ilp';

export class RawBtpClient {
  /** The server's answers (Response and Error); every frame it sends must decode. */
  readonly answers: BtpPacket[] = [];
  /** Prepares the server pushed to us (STREAM output); left unanswered, so they time out on its side. */
  readonly pushes: BtpPacket[] = [];
  closed?: number;
  /** Called with each pushed Prepare, to answer it (or not). */
  onPush?: (push: BtpPacket) => void;
  private waiters: { test: (p: BtpPacket) => boolean; resolve: (p: BtpPacket) => void }[] = [];
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const packet = decodeBtpPacket(new Uint8Array(data as Buffer));
      if (packet.type === BtpMessageType.Message) {
        this.pushes.push(packet);
        return void this.onPush?.(packet);
      }
      this.answers.push(packet);
      this.waiters = this.waiters.filter((w) => (w.test(packet) ? (w.resolve(packet), false) : true));
    });
    ws.on('close', (code) => (this.closed = code));
  }

  /** Connects to `url` without authenticating. */
  static async open(url: string): Promise<RawBtpClient> {
    const ws = new WebSocket(url);
    const client = new RawBtpClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Connects to `url` and authenticates with `token`. */
  static async connect(url: string, token: string): Promise<RawBtpClient> {
    const client = await RawBtpClient.open(url);
    client.send(encodeBtpPacket(btpAuthMessage(0xfffffff0, { token })));
    const answer = await client.answer(0xfffffff0);
    if (answer.type !== BtpMessageType.Response) throw new Error(`BTP auth refused: ${JSON.stringify(answer)}`);
    return client;
  }

  /** Resolves with the close code once the server has closed the connection. */
  whenClosed(timeoutMs = 5000): Promise<number> {
    if (this.closed !== undefined) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not close the connection')), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  send(bytes: Uint8Array): void {
    this.ws.send(bytes, { binary: true });
  }

  /** The next Response or Error for `requestId` not already taken. */
  answer(requestId: number, timeoutMs = 5000): Promise<BtpPacket> {
    const test = (p: BtpPacket) => p.requestId === requestId;
    for (; this.cursor < this.answers.length; ) {
      const p = this.answers[this.cursor++];
      if (test(p)) return Promise.resolve(p);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no BTP answer to request ${requestId}`)), timeoutMs);
      this.waiters.push({
        test,
        resolve: (p) => {
          clearTimeout(timer);
          this.cursor = this.answers.length;
          resolve(p);
        },
      });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
