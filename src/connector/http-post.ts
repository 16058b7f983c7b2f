import http from 'node:http';
import https from 'node:https';

/**
 * The largest legal ILP packet in OER: a Prepare with a 1023-byte address and 32767 bytes of data (each behind a
 * 3-byte length prefix), amount 8, expiry 17 and condition 32, in an envelope of type 1 + a 3-byte length.
 */
export const MAX_ILP_PACKET_BYTES = 1 + 3 + 8 + 17 + 32 + (3 + 1023) + (3 + 32767);

/** Rafiki's outgoing client gives a peer 30 s; a packet's own expiry is usually sooner and then wins. */
export const HTTP_LINK_TIMEOUT_MS = 30_000;
/** Connections kept to one peer's endpoint; more requests at once wait for one in the agent's queue. */
const MAX_SOCKETS = 64;

export type PostAnswer = { status: number; body: Buffer } | { error: string } | 'timeout';

/**
 * POSTs `body` on the keep-alive `agent` and reads at most `maxBytes` of the answer, within `timeoutMs`. Never
 * rejects: a refused connection, a reset or an oversized answer is `{error}`.
 */
export function postBytes(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
  maxBytes: number,
): Promise<PostAnswer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: PostAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'Content-Length': String(body.byteLength) },
    });
    const timer = setTimeout(() => {
      finish('timeout');
      request.destroy();
    }, timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish({ error: `answer larger than ${maxBytes} bytes` });
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    });
    request.end(body);
  });
}

/** One keep-alive connection pool per peer endpoint (an Agent pools per origin). */
export const keepAliveAgent = (url: URL): http.Agent =>
  new (url.protocol === 'https:' ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_SOCKETS });
