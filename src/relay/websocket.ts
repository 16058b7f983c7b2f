import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import * as uWS from 'uWebSockets.js';
import type { Config } from '../config/load';
import { respondJson, upgrade } from '../http/respond';
import { noticeMessage } from './messages';
import { clientIp } from '../http/client-ip';
import { connectionPolicies } from './policies/connection-policies';
import type { Relay } from './relay';
import type { Session, Subscription } from './session';

interface Connection extends Session {
  readonly ip: string;
  host: string;
  open: boolean;
  ws?: uWS.WebSocket<{ conn: Connection }>;
  /** Waiting for the client to take what is buffered (whenDrained). */
  drained: (() => void)[];
}

export interface WebSocketRoute {
  /** Open relay connections, for shutdown and metrics. */
  readonly connections: Set<Connection>;
  /** Sends a NOTICE to every connection and closes it (shutdown). */
  closeAll(notice: string): void;
}

/** Registers the NIP-01 WebSocket on `pattern`: frames in, relay messages out, one Session per connection. */
export function relayWebSocket(app: uWS.TemplatedApp, pattern: string, relay: Relay, config: Config, log: Logger): WebSocketRoute {
  const connections = new Set<Connection>();
  /** Open connections per client address, for MAX_CONNECTIONS_PER_IP. */
  const perIp = new Map<string, number>();
  const admit = connectionPolicies(config);
  const { backpressureLimit } = config;

  /** A reader whose unsent bytes pass BACKPRESSURE_LIMIT is told why and disconnected, so it cannot grow memory. */
  const dropSlowReader = (conn: Connection, ws: uWS.WebSocket<{ conn: Connection }>) => {
    conn.open = false;
    log.warn({ ip: conn.ip, buffered: ws.getBufferedAmount() }, 'dropping a slow reader');
    ws.send(noticeMessage(`error: more than ${backpressureLimit} bytes waiting to be read; closing the connection`), false);
    ws.end(1008, 'reading too slowly');
  };

  app.ws<{ conn: Connection }>(pattern, {
    compression: 0 as uWS.CompressOptions,
    // Frames up to twice the limit are read and answered with a NOTICE; beyond that uWS closes the socket (1009).
    maxPayloadLength: config.maxMessageBytes * 2,
    // uWS would silently drop messages beyond this; the relay disconnects at backpressureLimit before that happens.
    maxBackpressure: backpressureLimit + 4 * config.maxMessageBytes + 1024 * 1024,
    // under the 60 s that proxies such as Akash's ingress allow an idle WebSocket; uWS pings before it expires
    idleTimeout: 56,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const ip = clientIp(Buffer.from(res.getRemoteAddressAsText()).toString(), req.getHeader('x-forwarded-for'), config.trustedProxies);
      const host = req.getHeader('host');
      for (const policy of admit) {
        const refused = policy(ip, perIp.get(ip) ?? 0);
        if (!refused) continue;
        const headers: [string, string][] = refused.retryAfter ? [['Retry-After', String(refused.retryAfter)]] : [];
        return respondJson(res, refused.status, { error: refused.reason }, headers);
      }
      const conn: Connection = { ip, host, open: true, subs: new Map<string, Subscription>(), send: () => false, drained: [] };
      upgrade(res, req, context, { conn });
    },
    open: (ws) => {
      const conn = ws.getUserData().conn;
      conn.ws = ws;
      conn.send = (message: string) => {
        if (!conn.open) return false;
        ws.send(message, false);
        if (ws.getBufferedAmount() > backpressureLimit) {
          dropSlowReader(conn, ws);
          return false;
        }
        return true;
      };
      // a closed uWS socket throws on any use: nothing is buffered for it, and nothing will drain
      conn.buffered = () => (conn.open ? ws.getBufferedAmount() : 0);
      conn.cork = (fn) => {
        if (conn.open) ws.cork(fn);
        else fn();
      };
      conn.whenDrained = (fn) => {
        if (!conn.open) return;
        if (ws.getBufferedAmount() === 0) fn();
        else conn.drained.push(fn);
      };
      connections.add(conn);
      perIp.set(conn.ip, (perIp.get(conn.ip) ?? 0) + 1);
      relay.open(conn);
    },
    message: (ws, data) => {
      const conn = ws.getUserData().conn;
      if (data.byteLength > config.maxMessageBytes) {
        conn.send(noticeMessage(`invalid: message of ${data.byteLength} bytes is over the limit of ${config.maxMessageBytes}`));
        return;
      }
      if (!isUtf8(data)) {
        conn.send(noticeMessage('invalid: message is not valid UTF-8'));
        return;
      }
      try {
        relay.handle(conn, Buffer.from(data).toString('utf8'));
      } catch (err) {
        log.error({ err }, 'message handler failed');
        conn.send(noticeMessage('error: internal error'));
      }
    },
    // A stored answer waiting for the client to read (stored-answer.ts) goes on once half a batch is left unread.
    drain: (ws) => {
      const conn = ws.getUserData().conn;
      if (conn.drained.length === 0 || ws.getBufferedAmount() > config.readBatchBytes / 2) return;
      const waiting = conn.drained;
      conn.drained = [];
      for (const fn of waiting) fn();
    },
    close: (ws) => {
      const conn = ws.getUserData().conn;
      conn.open = false;
      conn.drained = [];
      connections.delete(conn);
      const left = (perIp.get(conn.ip) ?? 1) - 1;
      if (left > 0) perIp.set(conn.ip, left);
      else perIp.delete(conn.ip);
      relay.drop(conn);
    },
  });
  return {
    connections,
    closeAll(notice) {
      for (const conn of [...connections]) {
        conn.ws?.cork(() => {
          // false: a slow reader was just dropped (and its socket ended) by this very NOTICE
          if (conn.send(noticeMessage(notice))) conn.ws?.end(1001, 'relay shutting down');
        });
      }
    },
  };
}
