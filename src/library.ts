import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config, type ConfigInput } from './config/load';
import { createLogger } from './ops/logger';
import { composePeer, type ComposeOptions } from './peer/compose-peer';

export interface StartedPeer {
  /** ws:// URL of the relay. */
  url: string;
  /** http:// URL of the same port (NIP-11, /health, /pay/…). */
  httpUrl: string;
  port: number;
  config: Config;
  stop(): Promise<void>;
}

/**
 * Starts the whole peer in-process: the embedded harness for test suites. Settings use the environment names of
 * the interface; the defaults differ only where a test wants them to: an ephemeral port on 127.0.0.1, a fresh
 * temporary DATA_DIR (deleted by stop() unless you passed one), and LOG_LEVEL=silent.
 */
export async function startPeer(input: ConfigInput = {}, options: ComposeOptions = {}): Promise<StartedPeer> {
  const ownDir = input.DATA_DIR === undefined ? mkdtempSync(path.join(tmpdir(), 'peer-')) : undefined;
  const config = loadConfig({ PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...input, DATA_DIR: input.DATA_DIR ?? ownDir });
  const peer = await composePeer(config, createLogger(config.logLevel, undefined, config.logFormat), options);
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return {
    url: `ws://${host}:${peer.port}`,
    httpUrl: `http://${host}:${peer.port}`,
    port: peer.port,
    config,
    async stop() {
      await peer.stop();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export { loadConfig, type Config, type ConfigInput };
