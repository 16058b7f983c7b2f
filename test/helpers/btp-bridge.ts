import WebSocket from 'ws';
import { btpAuthMessage, BtpMessageType, decodeBtpPacket, encodeBtpPacket } from '../../src/ilp';

/**
 * Links two running peers over BTP as two BTP servers cannot link themselves: it logs into A as B (with the
 * token A configured for B) and into B as A, then passes every frame across unchanged. Each side sees an
 * authenticated connection of the other peer; request ids stay per direction, so replies find their requests.
 */
export async function bridgePeers(a: { port: number; tokenForB: string }, b: { port: number; tokenForA: string }): Promise<{ close(): Promise<void> }> {
  const login = async (port: number, token: string) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/btp`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // what the peer sends before the other side is logged in waits here (frames of one read arrive together)
    const held: Buffer[] = [];
    let arrived: () => void = () => {};
    ws.on('message', (d) => {
      held.push(d as Buffer);
      arrived();
    });
    const answer = new Promise<void>((resolve) => (arrived = resolve));
    ws.send(encodeBtpPacket(btpAuthMessage(1, { token, username: '' })));
    await answer;
    const packet = decodeBtpPacket(new Uint8Array(held.shift()!));
    if (packet.type !== BtpMessageType.Response) throw new Error(`bridge login to ${port} refused`);
    return { ws, held };
  };
  const { ws: toA, held: fromA } = await login(a.port, a.tokenForB);
  const { ws: toB, held: fromB } = await login(b.port, b.tokenForA);
  toA.removeAllListeners('message');
  toB.removeAllListeners('message');
  for (const d of fromA) toB.send(d);
  for (const d of fromB) toA.send(d);
  toA.on('message', (d) => toB.readyState === WebSocket.OPEN && toB.send(d as Buffer));
  toB.on('message', (d) => toA.readyState === WebSocket.OPEN && toA.send(d as Buffer));
  const closed = (ws: WebSocket) => (ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise<void>((r) => ws.once('close', () => r())));
  toA.once('close', () => toB.close());
  toB.once('close', () => toA.close());
  return {
    async close() {
      toA.close();
      toB.close();
      await Promise.all([closed(toA), closed(toB)]);
    },
  };
}
