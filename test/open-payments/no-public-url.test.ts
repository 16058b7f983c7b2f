// Without PUBLIC_URL the pay page and the balance take the origin from the request: a Host header that is not a host
// must not crash the process, and the owner's NIP-98 signature over the page's own origin (https behind a proxy)
// must be accepted.
import net from 'node:net';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPeer, type StartedPeer } from '../../src/library';

let peer: StartedPeer;
const sk = generateSecretKey();
const pubkey = getPublicKey(sk);

beforeAll(async () => {
  peer = await startPeer({ PORT: 0 });
});

afterAll(async () => {
  await peer?.stop();
});

/** One raw HTTP/1.1 request (fetch cannot send a Host header that is not a host); resolves with the status line. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(peer.port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

describe('the pay page and the balance without PUBLIC_URL', () => {
  it.each([['a b'], [''], ['[::1']])('answers the page for Host %j and keeps serving', async (host) => {
    const status = await raw(`GET /pay/${pubkey} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
    expect(status).toMatch(/^HTTP\/1\.1 200/);
    expect((await fetch(`${peer.httpUrl}/health`)).status).toBe(200);
  });

  it("accepts the owner's NIP-98 event for the https origin a proxy serves the page from", async () => {
    const path = `/pay/${pubkey}/balance`;
    const host = `127.0.0.1:${peer.port}`;
    const event = finalizeEvent({ kind: 27235, created_at: Math.floor(Date.now() / 1000), tags: [['u', `https://${host}${path}`], ['method', 'GET']], content: '' }, sk);
    const res = await fetch(`${peer.httpUrl}${path}`, { headers: { Authorization: `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ balance: '0' });
  });
});
