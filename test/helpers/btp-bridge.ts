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
    const answer = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
    ws.send(encodeBtpPacket(btpAuthMessage(1, { token, username: '' })));
    const packet = decodeBtpPacket(new Uint8Array(await answer));
    if (packet.type !== BtpMessageType.Response) throw new Error(`bridge login to ${port} refused`);
    return ws;
  };
  const toA = await login(a.port, a.tokenForB);
  const toB = await login(b.port, b.tokenForA);
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
