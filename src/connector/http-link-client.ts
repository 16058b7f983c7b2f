import type http from 'node:http';
import type { Logger } from 'pino';
import { decodeIlpPacket, encodeIlpPacket, IlpErrorCode, IlpPacketType, createReject, type IlpPrepare } from '../ilp';
import type { PeerLink as PeerConfig } from '../config/schema';
import type { CallbackTarget } from './http-async-replies';
import { outcome, type LinkStats } from './link-stats';
import type { IlpReply } from './local-receiver';
import { HTTP_LINK_TIMEOUT_MS, keepAliveAgent, MAX_ILP_PACKET_BYTES, postBytes } from './http-post';
import type { PeerLink, PeerLinks } from './peer-links';

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
