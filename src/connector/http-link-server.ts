import type { Logger } from 'pino';
import type * as uWS from 'uWebSockets.js';
import type { Config } from '../config/load';
import { decodeIlpPacket, encodeIlpPacket, IlpPacketType, type IlpPrepare } from '../ilp';
import { respond, respondJson } from '../http/respond';
import { clientIp } from '../http/client-ip';
import { TokenBuckets } from '../http/token-buckets';
import { RefusalLog } from './btp-admission';
import type { Connector } from './connector';
import { heartbeatReply, isHeartbeat } from './heartbeat';
import { AsyncReplies, type CallbackTarget } from './http-async-replies';
import { MAX_ILP_PACKET_BYTES } from './http-post';
import type { LinkStats } from './link-stats';
import { isFulfill, type IlpReply } from './local-receiver';

/** Wrong tokens allowed per client address, as for the dashboard: 10 at once, then one every 6 s. */
const TOKEN_FAILURES = { count: 10, seconds: 60 };
/**
 * A body must have arrived this long after the headers. uWS closes a connection idle for 10 s, but a trickle of a
 * byte now and then is not idle and would otherwise hold the request forever.
 */
const BODY_TIMEOUT_MS = 5_000;
const OCTET_STREAM = 'application/octet-stream';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HttpLinkServerOptions {
  connector: Connector;
  peerForToken: (token: string) => string | undefined;
  /** Where async replies may go for each peer with an `http` entry: its endpoint's origin, token and pool. */
  callbacks: ReadonlyMap<string, CallbackTarget>;
  draining: () => boolean;
  stats: LinkStats;
  config: Config;
  log: Logger;
}

const encodeReply = (reply: IlpReply) =>
  encodeIlpPacket({ type: isFulfill(reply) ? IlpPacketType.Fulfill : IlpPacketType.Reject, ...reply } as Parameters<typeof encodeIlpPacket>[0]);

/**
 * `POST <pattern>`: ILP-over-HTTP (RFC 35) from a peer, as Rafiki's connector sends it. The body is one raw OER
 * Prepare with `Authorization: Bearer <an ILP_PEERS token>`; the answer is 200 with the raw Fulfill or Reject,
 * sent once the connector has it (always before the Prepare expires, as the connector bounds its own wait). With
 * `Prefer: respond-async`, `Request-Id` and `Callback-Url` (draft 3) the answer is 202 at once and the reply is
 * POSTed to the callback, which must be on the origin of the peer's own `http.url`.
 *
 * Refusals are JSON: 401 (no or unknown token; past TOKEN_FAILURES per address, 429 without checking), 400 (not
 * octet-stream, not a Prepare, a bad async request), 413 (above the largest legal ILP packet), 503 (draining).
 */
export function httpLinkRoute(app: uWS.TemplatedApp, pattern: string, o: HttpLinkServerOptions): { close(): void } {
  const failures = new TokenBuckets(TOKEN_FAILURES);
  const refusals = new RefusalLog(o.log, Date.now, 'ilp-over-http refused');
  const replies = new AsyncReplies(o.log);

  const answer = async (peerId: string, prepare: IlpPrepare): Promise<IlpReply> => {
    const reply = isHeartbeat(prepare) ? heartbeatReply(prepare, o.config.ilpAddress) : await o.connector.handlePrepare(peerId, prepare);
    o.stats.count(peerId, 'http', 'in', isFulfill(reply) ? 'fulfilled' : reply.code);
    return reply;
  };

  app.post(pattern, (res, req) => {
    let aborted = false;
    let bodyTimer: NodeJS.Timeout | undefined;
    /** An async request's claim on its Request-Id, given back if the request ends before its packet is accepted. */
    let claimed: { peer: string; requestId: string } | undefined;
    let callback: { target: CallbackTarget; url: URL; requestId: string } | undefined;
    res.onAborted(() => {
      aborted = true;
      clearTimeout(bodyTimer);
      if (claimed) replies.release(claimed.peer, claimed.requestId);
    });
    const refuse = (status: string, error: string, headers: [string, string][] = []) => {
      clearTimeout(bodyTimer);
      if (claimed) replies.release(claimed.peer, claimed.requestId);
      if (!aborted) respondJson(res, status, { error }, headers);
      aborted = true;
    };
    const ip = clientIp(Buffer.from(res.getRemoteAddressAsText()).toString(), req.getHeader('x-forwarded-for'), o.config.trustedProxies);
    if (o.draining()) return refuse('503 Service Unavailable', 'unavailable: the peer is shutting down; try again', [['Retry-After', '5']]);
    // Past the allowance of wrong tokens, none are checked at all until the address has a token again.
    const wait = failures.wait(ip);
    if (wait > 0) return refuse('429 Too Many Requests', 'rate-limited: too many wrong tokens; try again later', [['Retry-After', String(wait)]]);
    const authorization = req.getHeader('authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const peerId = bearer ? o.peerForToken(bearer[1]) : undefined;
    if (!peerId) {
      if (authorization !== '') failures.take(ip);
      refusals.refused(authorization === '' ? 'no token' : 'unknown token', ip);
      return refuse('401 Unauthorized', 'unauthorized: Authorization: Bearer <token of an ILP_PEERS entry> is required', [['WWW-Authenticate', 'Bearer']]);
    }
    const contentType = req.getHeader('content-type').split(';')[0].trim().toLowerCase();
    if (contentType !== OCTET_STREAM) return refuse('400 Bad Request', `invalid: Content-Type must be ${OCTET_STREAM}`);
    const declared = Number(req.getHeader('content-length') || '0');
    if (declared > MAX_ILP_PACKET_BYTES) return refuse('413 Content Too Large', `invalid: an ILP packet is at most ${MAX_ILP_PACKET_BYTES} bytes`);
    const async = /\brespond-async\b/i.test(req.getHeader('prefer'));
    const requestId = req.getHeader('request-id');
    const callbackUrl = req.getHeader('callback-url');

    if (async) {
      const target = o.callbacks.get(peerId);
      let url: URL | undefined;
      try {
        url = new URL(callbackUrl);
      } catch {
        /* refused below */
      }
      if (!UUID.test(requestId)) return refuse('400 Bad Request', 'invalid: an async request needs a Request-Id UUID');
      if (!url) return refuse('400 Bad Request', 'invalid: an async request needs a Callback-Url');
      if (!target || url.origin !== target.origin) {
        refusals.refused('foreign callback origin', ip, { peer: peerId });
        return refuse('400 Bad Request', "invalid: Callback-Url must be on the origin of the peer's configured http.url");
      }
      if (replies.full()) return refuse('503 Service Unavailable', 'unavailable: too many async requests in flight; try again', [['Retry-After', '1']]);
      if (!replies.claim(peerId, requestId)) {
        // a retry of a request already accepted: its reply is (or will be) delivered once, never processed twice
        return respond(res, '202 Accepted', 'application/json', '{}');
      }
      claimed = { peer: peerId, requestId };
      callback = { target, url, requestId };
    }

    const chunks: Buffer[] = [];
    let size = 0;
    bodyTimer = setTimeout(() => refuse('408 Request Timeout', `invalid: the body did not arrive within ${BODY_TIMEOUT_MS / 1000} s`), BODY_TIMEOUT_MS);
    res.onData((chunk, last) => {
      if (aborted) return;
      size += chunk.byteLength;
      if (size > MAX_ILP_PACKET_BYTES) return refuse('413 Content Too Large', `invalid: an ILP packet is at most ${MAX_ILP_PACKET_BYTES} bytes`);
      // uWS reuses the chunk's memory once this returns
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!last) return;
      clearTimeout(bodyTimer);
      let prepare: IlpPrepare;
      try {
        const packet = decodeIlpPacket(new Uint8Array(Buffer.concat(chunks)));
        if (packet.type !== IlpPacketType.Prepare) return refuse('400 Bad Request', 'invalid: the body must be an ILP Prepare');
        const { type: _type, ...fields } = packet;
        prepare = fields;
      } catch (err) {
        return refuse('400 Bad Request', `invalid: the body is not an ILP packet (${(err as Error).message})`);
      }
      if (callback) {
        const { target, url, requestId: id } = callback;
        replies.accept(peerId, id, prepare.expiresAt, () => answer(peerId, prepare).then(encodeReply), target, url);
        claimed = undefined;
        if (!aborted) respond(res, '202 Accepted', 'application/json', '{}');
        return;
      }
      // Encoding is inside the chain: a throw there must be answered, never an unhandled rejection.
      answer(peerId, prepare)
        .then(encodeReply)
        .then(
          (bytes) => aborted || respond(res, '200 OK', OCTET_STREAM, bytes),
          (err) => {
            o.log.error({ err, peer: peerId }, 'prepare handling failed');
            refuse('500 Internal Server Error', 'error: the packet could not be handled');
          },
        );
    });
  });

  return { close: () => replies.close() };
}
