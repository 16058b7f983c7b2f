import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { decodeIlpPacket, encodeIlpPacket, IlpErrorCode, IlpPacketType, createReject, type IlpPrepare } from '../ilp';
import type { PeerLink as PeerConfig } from '../config/schema';
import type { CallbackTarget } from './http-async-replies';
import { outcome, type LinkStats } from './link-stats';
import type { IlpReply } from './local-receiver';
import type { PeerLink, PeerLinks } from './peer-links';

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

export interface HttpLinkOptions {
  peerId: string;
  endpoint: { url: string; token: string };
  /** Our ILP address: the `triggeredBy` of the rejects this link makes up when no reply came. */
  ilpAddress: string;
  stats: LinkStats;
  log: Logger;
}

/**
 * The outgoing ILP-over-HTTP link to a peer, as Rafiki's connector speaks it (RFC 35, synchronous): the raw OER
 * Prepare POSTed with `Authorization: Bearer <token>` and `Content-Type: application/octet-stream`; the 200 answer's
 * body is the raw Fulfill or Reject. Anything else (another status, an unreadable body, no connection) is the
 * peer's fault, answered T01 so that the pending transfer is voided.
 */
export function httpLink(o: HttpLinkOptions): PeerLink & { readonly agent: http.Agent; close(): void } {
  const url = new URL(o.endpoint.url);
  const agent = keepAliveAgent(url);
  const headers = { Authorization: `Bearer ${o.endpoint.token}`, 'Content-Type': 'application/octet-stream' };
  const unreachable = (why: string) => createReject(IlpErrorCode.T01_PEER_UNREACHABLE, o.ilpAddress, `peer ${o.peerId} ${why}`);
  const down = (why: string): IlpReply => {
    o.stats.httpState(o.peerId, 'down', why);
    o.stats.count(o.peerId, 'http', 'out', 'error');
    return unreachable(why);
  };
  return {
    kind: 'http',
    agent,
    async sendPrepare(prepare: IlpPrepare, timeoutMs: number) {
      const started = performance.now();
      const body = encodeIlpPacket({ type: IlpPacketType.Prepare, ...prepare });
      const answer = await postBytes(agent, url, headers, body, Math.min(HTTP_LINK_TIMEOUT_MS, timeoutMs), MAX_ILP_PACKET_BYTES);
      if (answer === 'timeout') {
        o.stats.httpState(o.peerId, 'down', 'no answer before the packet expired');
        o.stats.count(o.peerId, 'http', 'out', 'timeout');
        return 'timeout';
      }
      if ('error' in answer) {
        o.log.warn({ peer: o.peerId, error: answer.error }, 'ilp-over-http request failed');
        return down(`is unreachable over HTTP (${answer.error})`);
      }
      o.stats.observeHttp(o.peerId, (performance.now() - started) / 1000);
      if (answer.status !== 200) return down(`answered HTTP ${answer.status}`);
      let reply;
      try {
        reply = decodeIlpPacket(new Uint8Array(answer.body));
      } catch {
        reply = undefined;
      }
      if (!reply || reply.type === IlpPacketType.Prepare) return down('answered without an ILP reply');
      o.stats.httpState(o.peerId, 'up');
      const { type: _type, ...fields } = reply;
      o.stats.count(o.peerId, 'http', 'out', outcome(prepare, fields as IlpReply));
      return fields as IlpReply;
    },
    close() {
      agent.destroy();
    },
  };
}

/**
 * Registers an outgoing HTTP link for every ILP_PEERS entry with `http`, and returns where each of those peers'
 * async replies may be delivered (its endpoint's origin, over the same pool). close() ends the pools' sockets.
 */
export function openHttpLinks(
  peers: readonly PeerConfig[],
  links: PeerLinks,
  ilpAddress: string,
  stats: LinkStats,
  log: Logger,
): { callbacks: Map<string, CallbackTarget>; close(): void } {
  const callbacks = new Map<string, CallbackTarget>();
  const opened: ReturnType<typeof httpLink>[] = [];
  for (const p of peers) {
    if (!p.http) continue;
    const link = httpLink({ peerId: p.id, endpoint: p.http, ilpAddress, stats, log });
    links.add(p.id, link);
    opened.push(link);
    stats.http.set(p.id, { state: 'idle', since: Date.now() });
    callbacks.set(p.id, { origin: new URL(p.http.url).origin, token: p.http.token, agent: link.agent });
  }
  return {
    callbacks,
    close: () => opened.forEach((l) => l.close()),
  };
}
