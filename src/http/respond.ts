import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';

export const CORS_HEADERS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Headers', '*'],
  ['Access-Control-Allow-Methods', 'GET, OPTIONS'],
];

/** Writes a whole response in one corked call (status, headers, body). */
export function respond(
  res: HttpResponse,
  status: string,
  contentType: string,
  body: string | Uint8Array,
  headers: [string, string][] = [],
): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('Content-Type', contentType);
    for (const [k, v] of headers) res.writeHeader(k, v);
    res.end(body);
  });
}

export const respondJson = (res: HttpResponse, status: string, value: unknown, headers: [string, string][] = []): void =>
  respond(res, status, 'application/json', JSON.stringify(value), headers);

/** Completes a WebSocket upgrade with `userData`, echoing the client's handshake headers. */
export function upgrade<T>(res: HttpResponse, req: HttpRequest, context: us_socket_context_t, userData: T): void {
  res.upgrade(
    userData,
    req.getHeader('sec-websocket-key'),
    req.getHeader('sec-websocket-protocol'),
    req.getHeader('sec-websocket-extensions'),
    context,
  );
}
