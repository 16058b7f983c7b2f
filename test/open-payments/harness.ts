// An Open Payments client side for tests: a client wallet address with its JWKS served over HTTP, the official
// @interledger/open-payments client (it validates every answer against the OpenAPI spec), and a peer that is a
// receiver on a port known before it starts (PUBLIC_URL names it).
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { generateJwk, generateKey } from '@interledger/http-signature-utils';
import { createAuthenticatedClient } from '@interledger/open-payments';
import { startPeer, type ConfigInput, type StartedPeer } from '../../src/library';

const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');

export const WALLET_TOKEN = 'wallet-token-0123456789';

/** A TCP port free right now (the peer needs its own before it starts: PUBLIC_URL names it). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** A receiver peer whose PUBLIC_URL names its own port (`port` to restart one where it was). */
export async function startReceiver(env: ConfigInput = {}, port?: number): Promise<StartedPeer> {
  port ??= await freePort();
  return startPeer({
    PORT: port,
    PUBLIC_URL: `ws://127.0.0.1:${port}`,
    ASSET_CODE: 'USD',
    ASSET_SCALE: 2,
    OPEN_PAYMENTS_INSECURE_CLIENTS: 'true',
    OPEN_PAYMENTS_KEY_FETCH_TIMEOUT: 500,
    ILP_PEERS: JSON.stringify([{ id: 'wallet', token: WALLET_TOKEN, creditLimit: '1000000000' }]),
    ...env,
  });
}

/** Client wallet addresses served by one HTTP server: `/<name>/jwks.json`, plus a slow and a huge one. */
export class ClientWallets {
  private constructor(
    readonly server: Server,
    readonly base: string,
    private readonly jwks: Map<string, unknown>,
  ) {}

  static async start(): Promise<ClientWallets> {
    const jwks = new Map<string, unknown>();
    const server = createServer((req, res) => {
      const name = req.url?.split('/')[1] ?? '';
      if (name === 'slow') return; // never answers: the auth server must time out
      if (name === 'huge') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(1024 * 1024) }));
        return;
      }
      const doc = jwks.get(name);
      if (!doc || !req.url?.endsWith('/jwks.json')) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(doc));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const wallets = new ClientWallets(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`, jwks);
    return wallets;
  }

  /** A new client wallet address with a fresh Ed25519 key, and the official client signing with it. */
  async client(name: string, options: { publish?: boolean } = {}) {
    const privateKey = generateKey();
    const keyId = `${name}-key`;
    if (options.publish !== false) this.jwks.set(name, { keys: [generateJwk({ privateKey, keyId })] });
    const walletAddressUrl = `${this.base}/${name}`;
    const client = await createAuthenticatedClient({ walletAddressUrl, privateKey, keyId, validateResponses: true });
    return { client, walletAddressUrl, privateKey, keyId };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** An ILP plugin over the receiver's BTP server, as the sending wallet's connector. */
export async function walletPlugin(port: number): Promise<any> {
  const plugin = new BtpPlugin({ server: `btp+ws://wallet:${WALLET_TOKEN}@127.0.0.1:${port}/btp`, responseTimeout: 10_000 });
  await plugin.connect();
  return plugin;
}
