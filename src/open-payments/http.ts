import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { respond } from '../http/respond';

/** A request as the Open Payments handlers see it (read in full before they run). */
export interface OpRequest {
  method: string;
  /** Path and query string, as the client sent them. */
  path: string;
  /** The path parameter of the route (`:id`), if any. */
  param: string;
  query: URLSearchParams;
  /** By lowercase name; only those the handlers read. */
  headers: Record<string, string>;
  /** The socket's remote address and the X-Forwarded-For header, for the client's address behind trusted proxies. */
  remote: string;
  forwardedFor: string;
  body: string;
}

/** An answer as plain data: status line, JSON body (none for 204), extra headers. */
export interface OpAnswer {
  status: string;
  body?: unknown;
  headers?: [string, string][];
}

export type OpHandler = (req: OpRequest) => OpAnswer | Promise<OpAnswer>;

/** Open to every origin: wallets call these from browser extensions and web pages. */
export const OP_CORS_HEADERS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Headers', 'Authorization, Content-Type, Content-Digest, Signature, Signature-Input, Accept'],
  ['Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS'],
];

const HEADERS = ['authorization', 'signature', 'signature-input', 'content-digest', 'content-length', 'content-type', 'accept', 'host'];

/** Largest request body read; a grant request or an incoming payment with metadata is far below. */
export const MAX_BODY_BYTES = 32 * 1024;

export const json = (status: string, body: unknown, headers: [string, string][] = []): OpAnswer => ({ status, body, headers });

/** Wraps `handler` as a uWS route: reads the headers and the body (bounded), answers JSON, survives aborts and throws. */
export function route(handler: OpHandler, onError: (err: unknown) => void): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const query = req.getQuery() ?? '';
    const request: OpRequest = {
      method: req.getMethod().toUpperCase(),
      path: query ? `${req.getUrl()}?${query}` : req.getUrl(),
      param: req.getParameter(0) ?? '',
      query: new URLSearchParams(query),
      headers: {},
      remote: Buffer.from(res.getRemoteAddressAsText()).toString(),
      forwardedFor: req.getHeader('x-forwarded-for'),
      body: '',
    };
    for (const h of HEADERS) {
      const v = req.getHeader(h);
      if (v) request.headers[h] = v;
    }
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const send = (a: OpAnswer) => {
      if (aborted) return;
      const headers = [...OP_CORS_HEADERS, ['Cache-Control', 'no-store'] as [string, string], ...(a.headers ?? [])];
      if (a.body === undefined) {
        res.cork(() => {
          res.writeStatus(a.status);
          for (const [k, v] of headers) res.writeHeader(k, v);
          res.endWithoutBody();
        });
      } else respond(res, a.status, 'application/json', JSON.stringify(a.body), headers);
    };
    const run = () => {
      Promise.resolve()
        .then(() => handler(request))
        .then(send, (err) => {
          onError(err);
          send(json('500 Internal Server Error', { error: { code: 'internal_error', description: 'internal error' } }));
        });
    };
    if (request.method === 'GET' || request.method === 'DELETE') return run();
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return send(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, last) => {
      if (size < 0) return;
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) {
        size = -1;
        send(tooLarge());
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!last) return;
      request.body = Buffer.concat(chunks).toString('utf8');
      run();
    });
  };
}

const tooLarge = (): OpAnswer =>
  json('413 Payload Too Large', { error: { code: 'invalid_request', description: `the body is over ${MAX_BODY_BYTES} bytes` } });
