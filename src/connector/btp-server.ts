import type { Logger } from 'pino';
import type * as uWS from 'uWebSockets.js';
import {
  BtpContentType,
  BtpErrorCode,
  BtpMessageType,
  decodeBtpPacket,
  decodeIlpPacket,
  encodeBtpPacket,
  encodeIlpPacket,
  findProtocolData,
  IlpPacketType,
  readBtpAuth,
  type BtpPacket,
  type IlpPrepare,
} from '../ilp';
import type { Config } from '../config/load';
import { respondJson, upgrade } from '../http/respond';
import { clientIp } from '../http/client-ip';
import { btpAdmission, RefusalLog } from './btp-admission';
import type { Connector } from './connector';
import type { IlpReply } from './local-receiver';
import { outcome } from './link-stats';
import type { PeerLink, SubProtocolHandler, SubProtocolReply } from './peer-links';

interface BtpConnection {
  readonly ip: string;
  peerId?: string;
  /** Closes the socket unless it authenticated in time (BTP_AUTH_TIMEOUT). */
  authDeadline?: NodeJS.Timeout;
  open: boolean;
  ws?: uWS.WebSocket<{ conn: BtpConnection }>;
  link?: PeerLink;
  nextRequestId: number;
  waiting: Map<number, (reply: IlpReply | 'timeout' | 'closed') => void>;
  /** Sub-protocol requests we sent, by request id. */
  requests: Map<number, (reply: BtpPacket | 'closed') => void>;
}

const ENCODER = new TextEncoder();
/** ILP packets are at most ~32 KiB of data plus headers; a BTP frame is never legitimately much larger. */
const MAX_BTP_FRAME = 128 * 1024;

const ilpEntry = (packet: Uint8Array) => [{ protocolName: 'ilp', contentType: BtpContentType.ApplicationOctetStream, data: packet }];

function btpError(requestId: number, error: { code: string; name: string }, message: string): Uint8Array {
  return encodeBtpPacket({
    type: BtpMessageType.Error,
    requestId,
    code: error.code,
    name: error.name,
    triggeredAt: new Date(),
    data: ENCODER.encode(message),
    protocolData: [],
  });
}

/**
 * BTP 2.0 (RFC 23) on `pattern`: the first message must authenticate with a configured peer's token, within
 * BTP_AUTH_TIMEOUT; after that, Messages carry ILP Prepares to the connector, and Responses carry the replies to
 * Prepares we forward. Upgrades are bounded per address and in total (see btpAdmission).
 */
export function btpRoute(
  app: uWS.TemplatedApp,
  pattern: string,
  connector: Connector,
  peerForToken: (token: string) => string | undefined,
  config: Config,
  log: Logger,
  /** Sub-protocols besides ILP, by protocolName of a Message's first entry (e.g. settlement). */
  subProtocols: ReadonlyMap<string, SubProtocolHandler> = new Map(),
): { closeAll(): void } {
  const connections = new Set<BtpConnection>();
  /** Open sockets per client address, for BTP_MAX_CONNECTIONS_PER_IP. */
  const perIp = new Map<string, number>();
  /** Open sockets not yet authenticated, for BTP_MAX_UNAUTHENTICATED. */
  let unauthenticated = 0;
  const admit = btpAdmission(config, () => unauthenticated);
  const refusals = new RefusalLog(log);

  const send = (conn: BtpConnection, bytes: Uint8Array) => {
    if (conn.open) conn.ws!.cork(() => conn.ws!.send(bytes, true));
  };

  const authenticate = (conn: BtpConnection, packet: BtpPacket) => {
    const auth = readBtpAuth(packet);
    const peerId = auth && peerForToken(auth.token);
    if (!peerId) {
      refusals.refused(auth ? 'unknown token' : 'no auth message', conn.ip);
      send(conn, btpError(packet.requestId, BtpErrorCode.F00_NOT_ACCEPTED, 'invalid auth token'));
      conn.ws!.end(1008, 'btp auth refused');
      return;
    }
    conn.peerId = peerId;
    clearTimeout(conn.authDeadline);
    unauthenticated--;
    conn.link = {
      kind: 'btp',
      sendPrepare: (prepare: IlpPrepare, timeoutMs: number) =>
        new Promise((resolve) => {
          if (!conn.open) return resolve('closed');
          const requestId = (conn.nextRequestId = (conn.nextRequestId + 1) >>> 0);
          const timer = setTimeout(() => {
            conn.waiting.delete(requestId);
            connector.linkStats.count(peerId, 'btp', 'out', 'timeout');
            resolve('timeout');
          }, timeoutMs);
          conn.waiting.set(requestId, (reply) => {
            clearTimeout(timer);
            conn.waiting.delete(requestId);
            connector.linkStats.count(peerId, 'btp', 'out', typeof reply === 'string' ? 'error' : outcome(prepare, reply));
            resolve(reply);
          });
          send(conn, encodeBtpPacket({ type: BtpMessageType.Message, requestId, protocolData: ilpEntry(encodeIlpPacket({ type: IlpPacketType.Prepare, ...prepare })) }));
        }),
      request: (protocolName: string, data: Uint8Array, timeoutMs: number) =>
        new Promise<SubProtocolReply | 'timeout' | 'closed'>((resolve) => {
          if (!conn.open) return resolve('closed');
          const requestId = (conn.nextRequestId = (conn.nextRequestId + 1) >>> 0);
          const timer = setTimeout(() => {
            conn.requests.delete(requestId);
            resolve('timeout');
          }, timeoutMs);
          conn.requests.set(requestId, (reply) => {
            clearTimeout(timer);
            conn.requests.delete(requestId);
            if (reply === 'closed') return resolve('closed');
            if (reply.type === BtpMessageType.Error) return resolve({ ok: false, code: reply.code, message: Buffer.from(reply.data).toString('utf8') });
            const entry = findProtocolData(reply.protocolData, protocolName);
            resolve(entry ? { ok: true, data: entry.data } : { ok: false, code: 'F01', message: `the answer has no ${protocolName} data` });
          });
          send(conn, encodeBtpPacket({ type: BtpMessageType.Message, requestId, protocolData: [{ protocolName, contentType: BtpContentType.ApplicationJson, data }] }));
        }),
    };
    connector.links.add(peerId, conn.link);
    send(conn, encodeBtpPacket({ type: BtpMessageType.Response, requestId: packet.requestId, protocolData: [] }));
    log.info({ peer: peerId, ip: conn.ip }, 'btp peer connected');
  };

  const onMessage = (conn: BtpConnection, packet: BtpPacket) => {
    const peerId = conn.peerId!;
    switch (packet.type) {
      case BtpMessageType.Message: {
        const first = packet.protocolData[0];
        const sub = first && subProtocols.get(first.protocolName);
        if (sub) {
          sub(peerId, first.data).then(
            (r) =>
              send(conn, r.ok
                ? encodeBtpPacket({ type: BtpMessageType.Response, requestId: packet.requestId, protocolData: [{ protocolName: first.protocolName, contentType: BtpContentType.ApplicationJson, data: r.data }] })
                : btpError(packet.requestId, r.code === 'F01' ? BtpErrorCode.F01_INVALID_FIELDS : BtpErrorCode.T00_UNREACHABLE, r.message)),
            (err) => {
              log.error({ err, peer: peerId, protocol: first.protocolName }, 'sub-protocol handling failed');
              send(conn, btpError(packet.requestId, BtpErrorCode.T00_UNREACHABLE, 'internal error'));
            },
          );
          return;
        }
        const ilp = findProtocolData(packet.protocolData, 'ilp');
        if (!ilp) {
          // a repeated auth is harmless; anything else without ILP data is not something we speak
          if (packet.protocolData[0]?.protocolName === 'auth') {
            send(conn, encodeBtpPacket({ type: BtpMessageType.Response, requestId: packet.requestId, protocolData: [] }));
          } else send(conn, btpError(packet.requestId, BtpErrorCode.F01_INVALID_FIELDS, 'expected ilp protocol data'));
          return;
        }
        const ilpPacket = decodeIlpPacket(ilp.data);
        if (ilpPacket.type !== IlpPacketType.Prepare) {
          send(conn, btpError(packet.requestId, BtpErrorCode.F01_INVALID_FIELDS, 'expected an ILP Prepare'));
          return;
        }
        // Encoding the reply is inside the chain: a throw there must be answered, never an unhandled rejection.
        connector
          .handlePrepare(peerId, ilpPacket)
          .then((reply) => {
            connector.linkStats.count(peerId, 'btp', 'in', 'fulfillment' in reply ? 'fulfilled' : reply.code);
            return reply;
          })
          .then((reply) => encodeIlpPacket({ type: 'fulfillment' in reply ? IlpPacketType.Fulfill : IlpPacketType.Reject, ...reply } as Parameters<typeof encodeIlpPacket>[0]))
          .then(
            (bytes) => send(conn, encodeBtpPacket({ type: BtpMessageType.Response, requestId: packet.requestId, protocolData: ilpEntry(bytes) })),
            (err) => {
              log.error({ err, peer: peerId }, 'prepare handling failed');
              send(conn, btpError(packet.requestId, BtpErrorCode.T00_UNREACHABLE, 'internal error'));
            },
          );
        return;
      }
      case BtpMessageType.Response:
      case BtpMessageType.Error: {
        const request = conn.requests.get(packet.requestId);
        if (request) return request(packet);
        const waiter = conn.waiting.get(packet.requestId);
        if (!waiter) return;
        const ilp = packet.type === BtpMessageType.Response ? findProtocolData(packet.protocolData, 'ilp') : undefined;
        let reply: ReturnType<typeof decodeIlpPacket> | undefined;
        try {
          reply = ilp ? decodeIlpPacket(ilp.data) : undefined;
        } catch {
          // unreadable: the forwarded Prepare is answered now (its transfer voided), not left to expire
          reply = undefined;
        }
        if (reply && reply.type !== IlpPacketType.Prepare) {
          const { type: _type, ...fields } = reply;
          waiter(fields);
        } else {
          waiter({ code: 'T01', triggeredBy: '', message: `peer ${peerId} answered without an ILP reply`, data: new Uint8Array(0) });
        }
        return;
      }
      case BtpMessageType.Transfer:
        send(conn, btpError(packet.requestId, BtpErrorCode.F00_NOT_ACCEPTED, 'settlement over BTP is not supported'));
        return;
      default:
        send(conn, btpError(packet.requestId, BtpErrorCode.F01_INVALID_FIELDS, 'unsupported BTP message type'));
    }
  };

  app.ws<{ conn: BtpConnection }>(pattern, {
    compression: 0 as uWS.CompressOptions,
    maxPayloadLength: MAX_BTP_FRAME,
    // under the 60 s that proxies such as Akash's ingress allow an idle WebSocket; uWS pings before it expires
    idleTimeout: 56,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const ip = clientIp(Buffer.from(res.getRemoteAddressAsText()).toString(), req.getHeader('x-forwarded-for'), config.trustedProxies);
      for (const policy of admit) {
        const refused = policy(ip, perIp.get(ip) ?? 0);
        if (!refused) continue;
        refusals.refused(refused.reason, ip);
        const headers: [string, string][] = refused.retryAfter ? [['Retry-After', String(refused.retryAfter)]] : [];
        return respondJson(res, refused.status, { error: refused.reason }, headers);
      }
      const conn: BtpConnection = { ip, open: true, nextRequestId: 0, waiting: new Map(), requests: new Map() };
      upgrade(res, req, context, { conn });
    },
    open: (ws) => {
      const conn = ws.getUserData().conn;
      conn.ws = ws;
      connections.add(conn);
      perIp.set(conn.ip, (perIp.get(conn.ip) ?? 0) + 1);
      unauthenticated++;
      conn.authDeadline = setTimeout(() => {
        refusals.refused('no auth in time', conn.ip, { seconds: config.btpAuthTimeout });
        ws.end(1008, 'btp auth timeout');
      }, config.btpAuthTimeout * 1000);
    },
    message: (ws, data) => {
      const conn = ws.getUserData().conn;
      let packet: BtpPacket;
      try {
        packet = decodeBtpPacket(new Uint8Array(data.slice(0)));
      } catch (err) {
        // RFC 23: no answer to what cannot be read (it could loop); an unauthenticated stranger is dropped
        log.debug({ err }, 'unreadable btp frame');
        if (!conn.peerId) ws.end(1002, 'unreadable BTP frame');
        return;
      }
      try {
        if (conn.peerId) onMessage(conn, packet);
        else authenticate(conn, packet);
      } catch (err) {
        log.debug({ err, peer: conn.peerId }, 'bad btp message');
        send(conn, btpError(packet.requestId, BtpErrorCode.F01_INVALID_FIELDS, (err as Error).message));
      }
    },
    close: (ws) => {
      const conn = ws.getUserData().conn;
      conn.open = false;
      connections.delete(conn);
      clearTimeout(conn.authDeadline);
      if (!conn.peerId) unauthenticated--;
      const left = (perIp.get(conn.ip) ?? 1) - 1;
      if (left > 0) perIp.set(conn.ip, left);
      else perIp.delete(conn.ip);
      if (conn.peerId && conn.link) connector.links.remove(conn.peerId, conn.link);
      for (const waiter of [...conn.waiting.values()]) waiter('closed');
      for (const request of [...conn.requests.values()]) request('closed');
    },
  });

  return {
    closeAll() {
      for (const conn of [...connections]) conn.ws?.end(1001, 'peer shutting down');
    },
  };
}
