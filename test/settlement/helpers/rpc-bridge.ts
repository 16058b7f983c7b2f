// JSON-RPC over HTTP in front of an in-process EIP-1193 provider, so a child process (the bundled CLI) can use
// the in-process chain through its ordinary http transport.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EIP1193Provider } from 'viem';

interface RpcRequest {
  id: unknown;
  method: string;
  params?: unknown[];
}

export async function serveRpc(provider: EIP1193Provider): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = async (r: RpcRequest) => {
    try {
      return { jsonrpc: '2.0', id: r.id, result: await provider.request({ method: r.method, params: r.params } as never) };
    } catch (err) {
      const e = err as { code?: number; message: string; data?: unknown };
      return { jsonrpc: '2.0', id: r.id, error: { code: e.code ?? -32603, message: e.message, data: e.data } };
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map(answer)) : await answer(parsed);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
