import { isUtf8 } from 'node:buffer';
import type { Logger } from 'pino';
import * as uWS from 'uWebSockets.js';
import type { Config } from '../config/load';
import { noticeMessage } from './messages';
import type { Relay, Session } from './relay';
import type { Subscription } from './subscriptions';

interface Connection extends Session {
  ip: string;
  host: string;
  open: boolean;
  ws?: uWS.WebSocket<{ conn: Connection }>;
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
  app.ws<{ conn: Connection }>(pattern, {
    compression: 0 as uWS.CompressOptions,
    // Frames up to twice the limit are read and answered with a NOTICE; beyond that uWS closes the socket (1009).
    maxPayloadLength: config.maxMessageBytes * 2,
    maxBackpressure: 64 * 1024 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
      const host = req.getHeader('host');
      const conn: Connection = { ip, host, open: true, subs: new Map<string, Subscription>(), send: () => false };
      res.upgrade(
        { conn },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      const conn = ws.getUserData().conn;
      conn.ws = ws;
      conn.send = (message: string) => {
        if (!conn.open) return false;
        ws.send(message, false);
        return true;
      };
      connections.add(conn);
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
    close: (ws) => {
      const conn = ws.getUserData().conn;
      conn.open = false;
      connections.delete(conn);
      relay.drop(conn);
    },
  });
  return {
    connections,
    closeAll(notice) {
      for (const conn of [...connections]) {
        conn.ws?.cork(() => {
          conn.send(noticeMessage(notice));
          conn.ws?.end(1001, 'relay shutting down');
        });
      }
    },
  };
}
