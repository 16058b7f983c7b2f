import { parsePubkey } from './npub';
import type { StreamCredentials } from './stream-credentials';

/** An HTTP answer as plain data, for whoever mounts the route (uWS in src/peer). */
export interface HttpAnswer {
  status: 200 | 404;
  /** The status line uWS writes, e.g. `200 OK`. */
  statusText: string;
  headers: [name: string, value: string][];
  body: string;
}

/** RFC 9 says SPSP servers SHOULD send these on GET and OPTIONS (Web Monetization reads them). */
export const SPSP_CORS_HEADERS: [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Headers', 'web-monetization-id'],
];

const OPERATOR_PATH = '/.well-known/pay';
const PUBKEY_PREFIX = '/pay/';

/**
 * SPSP (RFC 9): `GET /.well-known/pay` pays the operator (equity/owner), `GET /pay/<pubkey>` the pubkey's prepaid
 * balance (64 hex in either case, or an npub). A fresh credential per request. Anything else — a bad pubkey or
 * another path — is 404 InvalidReceiverError. `path` is the request path; a query string is ignored.
 */
export function spspResponse(path: string, credentials: StreamCredentials): HttpAnswer {
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  if (path === OPERATOR_PATH) return found(credentials, undefined);
  if (path.startsWith(PUBKEY_PREFIX)) {
    const id = path.slice(PUBKEY_PREFIX.length);
    const pubkey = parsePubkey(id);
    if (pubkey) return found(credentials, pubkey);
    return notFound(`no receiver ${JSON.stringify(id.slice(0, 100))}: expected a pubkey as 64 hex characters or an npub`);
  }
  return notFound('no receiver at this path');
}

function found(credentials: StreamCredentials, pubkey: string | undefined): HttpAnswer {
  const { destinationAccount, sharedSecret } = credentials.issue(pubkey);
  return {
    status: 200,
    statusText: '200 OK',
    headers: [['Content-Type', 'application/spsp4+json'], ['Cache-Control', 'no-cache'], ...SPSP_CORS_HEADERS],
    body: JSON.stringify({
      destination_account: destinationAccount,
      shared_secret: Buffer.from(sharedSecret).toString('base64'),
    }),
  };
}

function notFound(message: string): HttpAnswer {
  return {
    status: 404,
    statusText: '404 Not Found',
    headers: [['Content-Type', 'application/json'], ['Cache-Control', 'no-cache'], ...SPSP_CORS_HEADERS],
    body: JSON.stringify({ id: 'InvalidReceiverError', message }),
  };
}
