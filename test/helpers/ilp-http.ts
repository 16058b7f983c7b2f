import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Which TCP connection carried it (numbered in accept order): keep-alive reuses one. */
  socket: number;
}

export type Answer = { status: number; body?: Uint8Array; headers?: Record<string, string> } | 'hang';

/**
 * A peer's ILP-over-HTTP server as the relay sees it (a Rafiki connector, or a callback endpoint): records every
 * request and answers with `handler`, which a test swaps. 'hang' never answers (until close()).
 */
export async function httpPeer(): Promise<{
  url: string;
  origin: string;
  received: Received[];
  handler: (r: Received) => Answer | Promise<Answer>;
  close(): Promise<void>;
}> {
  let sockets = 0;
  const hanging = new Set<http.ServerResponse>();
  const peer = {
    url: '',
    origin: '',
    received: [] as Received[],
    handler: (_r: Received): Answer | Promise<Answer> => ({ status: 500 }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: Received = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), socket: (req.socket as unknown as { n: number }).n };
      peer.received.push(r);
      const a = await peer.handler(r);
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(a.status, { 'Content-Type': 'application/octet-stream', ...a.headers });
      res.end(a.body ? Buffer.from(a.body) : undefined);
    });
  });
  server.on('connection', (s) => ((s as unknown as { n: number }).n = ++sockets));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  peer.origin = `http://127.0.0.1:${port}`;
  peer.url = `${peer.origin}/ilp`;
  return peer;
}

/**
 * The sending side of Rafiki's connector: the raw OER Prepare POSTed with `Authorization: Bearer <token>` and
 * `Content-Type: application/octet-stream`, 30 s timeout, over a keep-alive pool; the body of the answer is the raw
 * reply. `headers` adds or replaces headers (async mode, a bad content type, a forwarded address).
 */
export function rafikiClient(ilpUrl: string, token: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const req = http.request(ilpUrl, {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.byteLength), ...headers },
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.end(body);
    });
  return {
    post,
    /** What an ILP plugin offers (`sendData`): @interledger/pay and ILDCP drive their packets through it. */
    plugin: {
      async sendData(data: Buffer): Promise<Buffer> {
        const r = await post(data);
        if (r.status !== 200) throw new Error(`POST /ilp answered ${r.status}: ${r.body}`);
        return r.body;
      },
    },
    close: () => agent.destroy(),
  };
}
