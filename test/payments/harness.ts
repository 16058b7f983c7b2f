// A node's payment side in memory: real database, ledger, relay and STREAM receiver, and in-memory ILP plugins
// that the official ilp-protocol-stream client accepts, wired to the receiver as the connector would.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config, type ConfigInput } from '../../src/config/load';
import { Connector } from '../../src/connector/connector';
import { isAccepted, isFulfill, type IlpReply } from '../../src/connector/local-receiver';
import {
  createReject,
  decodeFulfill,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  ildcpFulfill,
  isIldcpRequest,
  IlpErrorCode,
  type IlpPrepare,
} from '../../src/ilp';
import { peerAccount, type AccountPath } from '../../src/ledger/account-paths';
import { Ledger } from '../../src/ledger/ledger';
import { createLogger } from '../../src/ops/logger';
import { PaidWrite } from '../../src/payments/paid-write';
import { pricesFrom } from '../../src/payments/pricing';
import { loadServerSecret } from '../../src/payments/server-secret';
import { StreamCredentials } from '../../src/payments/stream-credentials';
import { StreamReceiver } from '../../src/payments/stream/receiver';
import { streamSessions } from '../../src/relay/stream-session';
import type { StreamLimits } from '../../src/payments/stream-limits';
import { streamConnectionsPerPeer } from '../../src/relay/policies/connection-policies';
import { Relay } from '../../src/relay/relay';
import type { Session } from '../../src/relay/session';
import { openDatabase, type Db } from '../../src/storage/database';
import { EventStore } from '../../src/storage/events';
import { Committer } from '../../src/storage/committer';
import { DurableWriter } from '../../src/storage/durable-writer';

const require = createRequire(import.meta.url);
/** The official client (CommonJS). */
export const IlpStream: any = require('ilp-protocol-stream');
export const OfficialCrypto: any = require('ilp-protocol-stream/dist/src/util/crypto-node');

export interface HarnessOptions {
  env?: ConfigInput;
  /** Credit limit of each peer account opened by plugin(). */
  creditLimit?: bigint;
  limits?: Partial<StreamLimits>;
  /** Route packets through the real Connector (its credit, its routing of our pushes) instead of the harness's. */
  viaConnector?: string[];
}

/** The relay stack as src/peer/compose-peer.ts builds it. */
function buildRelay(db: Db, config: Config) {
  const log = createLogger('silent');
  const store = new EventStore(db);
  const ledger = new Ledger(db);
  const committer = new Committer(db, undefined, () => {});
  const writer = new DurableWriter(committer, () => {});
  const relay = new Relay(config, store, writer, new PaidWrite(writer, store, ledger, pricesFrom(config)), log);
  return { store, ledger, committer, writer, relay, log };
}

export class Harness {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'payments-'));
  readonly db: Db;
  readonly config: Config;
  readonly ledger: Ledger;
  readonly relay: Relay;
  readonly writer: DurableWriter;
  readonly committer: Committer;
  readonly credentials: StreamCredentials;
  readonly receiver: StreamReceiver;
  readonly serverSecret: Uint8Array;
  readonly plugins: MemoryPlugin[] = [];
  /** Every Prepare the receiver sent (pushes), with the reply the client gave. */
  readonly pushes: { prepare: IlpPrepare; reply: IlpReply }[] = [];
  readonly connector: Connector | undefined;

  constructor(private readonly options: HarnessOptions = {}) {
    this.config = loadConfig({ DATA_DIR: this.dir, LOG_LEVEL: 'silent', ...options.env });
    this.db = openDatabase(path.join(this.dir, 'peer.sqlite'));
    const built = buildRelay(this.db, this.config);
    this.ledger = built.ledger;
    this.relay = built.relay;
    this.writer = built.writer;
    this.committer = built.committer;
    this.serverSecret = loadServerSecret(this.db);
    this.credentials = new StreamCredentials(this.serverSecret, this.config.ilpAddress);
    if (options.viaConnector) {
      const peers = options.viaConnector.map((id) => ({ id, token: id, creditLimit: options.creditLimit ?? 10n ** 15n, routes: [] }));
      this.connector = new Connector(
        { ilpAddress: this.config.ilpAddress, assetCode: this.config.assetCode, assetScale: this.config.assetScale, maxPacketAmount: 10n ** 12n, peers },
        this.ledger,
        built.committer,
        built.log,
      );
    }
    const connector = this.connector;
    this.receiver = new StreamReceiver({
      credentials: this.credentials,
      assetCode: this.config.assetCode,
      assetScale: this.config.assetScale,
      app: streamSessions(this.relay),
      sendPrepare: connector ? (p) => this.record(p, connector.originate(p)) : (p) => this.record(p, this.route(p)),
      log: built.log,
      limits: options.limits,
      admitConnection: streamConnectionsPerPeer(this.config),
    });
    connector?.setLocalReceiver(this.receiver);
  }

  private async record(prepare: IlpPrepare, sent: Promise<IlpReply>): Promise<IlpReply> {
    const reply = await sent;
    this.pushes.push({ prepare, reply });
    return reply;
  }

  /** A BTP-peer-like plugin whose child address is `<ILP_ADDRESS>.<peerId>`, with a ledger account. */
  plugin(peerId = 'alice'): MemoryPlugin {
    if (!this.connector) this.ledger.openAccount(peerAccount(peerId), this.options.creditLimit ?? 10n ** 15n);
    const p = new MemoryPlugin(this, peerId, `${this.config.ilpAddress}.${peerId}`);
    this.plugins.push(p);
    // what a BTP connection of this peer is to the connector
    this.connector?.links.add(peerId, { kind: 'btp', sendPrepare: (prepare) => p.deliver(prepare) });
    return p;
  }

  /**
   * A Prepare from `peerId` to the receiver, as the connector hands it over: accepted, credited (Dr
   * assets/interledger/<peer>, Cr the account, at once; T04 over the credit limit), then delivered.
   */
  async handle(prepare: IlpPrepare, peerId: string): Promise<IlpReply> {
    const accepted = this.receiver.accept(prepare, peerId);
    if (!isAccepted(accepted)) return accepted;
    if (accepted.amount === 0n) return accepted.deliver();
    const r = this.ledger.transfer({ debitAccount: peerAccount(peerId), creditAccount: accepted.account, amount: accepted.amount });
    if (r.ok) return accepted.deliver();
    accepted.refused();
    const code = r.reason === 'insufficient_balance' || r.reason === 'exceeds_limit' ? IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY : IlpErrorCode.T00_INTERNAL_ERROR;
    return createReject(code, this.config.ilpAddress, r.reason);
  }

  /** SendPrepare: longest-prefix match over the plugins' addresses, as the connector routes child addresses. */
  async route(prepare: IlpPrepare): Promise<IlpReply> {
    const to = this.plugins.find((p) => prepare.destination === p.address || prepare.destination.startsWith(`${p.address}.`));
    return to ? to.deliver(prepare) : createReject(IlpErrorCode.F02_UNREACHABLE, this.config.ilpAddress, 'no route');
  }

  /** A session without a transport, as another WebSocket client would be. */
  session(): Session & { messages: unknown[][] } {
    const messages: unknown[][] = [];
    return { subs: new Map(), messages, send: (m: string) => (messages.push(JSON.parse(m)), true) };
  }

  balance(account: AccountPath): bigint {
    const b = this.ledger.balance(account);
    return b ? b.creditsPosted - b.debitsPosted : 0n;
  }

  async close(): Promise<void> {
    this.receiver.close();
    await this.relay.verified();
    this.writer.flush();
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type DataHandler = (data: Buffer) => Promise<Buffer>;

/** ilp-plugin interface (v2) in memory: sendData goes to the receiver through the harness's credit. */
export class MemoryPlugin {
  private connected = false;
  private handler: DataHandler | undefined;
  /** Codes of the replies the receiver gave ('fulfill' or the reject code). */
  readonly replies: string[] = [];

  constructor(
    private readonly harness: Harness,
    readonly peerId: string,
    readonly address: string,
  ) {}

  async connect(): Promise<void> {
    this.connected = true;
  }
  async disconnect(): Promise<void> {
    this.connected = false;
  }
  isConnected(): boolean {
    return this.connected;
  }

  async sendData(data: Buffer): Promise<Buffer> {
    const prepare = decodePrepare(data);
    const { config, connector } = this.harness;
    if (connector) {
      const reply = await connector.handlePrepare(this.peerId, prepare);
      this.replies.push(isFulfill(reply) ? 'fulfill' : reply.code);
      return Buffer.from(isFulfill(reply) ? encodeFulfill(reply) : encodeReject(reply));
    }
    if (isIldcpRequest(prepare)) {
      return Buffer.from(encodeFulfill(ildcpFulfill({ clientAddress: this.address, assetCode: config.assetCode, assetScale: config.assetScale })));
    }
    const reply = await this.harness.handle(prepare, this.peerId);
    this.replies.push(isFulfill(reply) ? 'fulfill' : reply.code);
    return Buffer.from(isFulfill(reply) ? encodeFulfill(reply) : encodeReject(reply));
  }

  /** A Prepare routed to this plugin's address: handed to the client's data handler. */
  async deliver(prepare: IlpPrepare): Promise<IlpReply> {
    if (!this.handler || !this.connected) return createReject(IlpErrorCode.T01_PEER_UNREACHABLE, this.harness.config.ilpAddress, 'disconnected');
    const out = await this.handler(Buffer.from(encodePrepare(prepare)));
    return out[0] === 13 ? decodeFulfill(out) : decodeReject(out);
  }

  registerDataHandler(handler: DataHandler): void {
    this.handler = handler;
  }
  deregisterDataHandler(): void {
    this.handler = undefined;
  }
  async sendMoney(): Promise<void> {}
  registerMoneyHandler(): void {}
  deregisterMoneyHandler(): void {}
}

/** Reads NIP-01 lines from a client stream as parsed arrays, and waits for ones that match, in order. */
export class LineReader {
  readonly messages: unknown[][] = [];
  private rest = '';
  private waiter: { test: (m: unknown[]) => boolean; resolve: (m: unknown[]) => void } | undefined;
  private cursor = 0;

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => {
      const lines = (this.rest + chunk.toString('utf8')).split('\n');
      this.rest = lines.pop()!;
      for (const line of lines) this.messages.push(JSON.parse(line) as unknown[]);
      this.wake();
    });
  }

  /** The first message after the last one returned that passes `test` (those before it are skipped). */
  next(test: (m: unknown[]) => boolean = () => true, timeoutMs = 5000): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timed out; got ${JSON.stringify(this.messages.slice(-4)).slice(0, 400)}`));
      }, timeoutMs);
      this.waiter = { test, resolve: (m) => (clearTimeout(timer), resolve(m)) };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    for (; this.cursor < this.messages.length; ) {
      const m = this.messages[this.cursor++];
      if (w.test(m)) {
        this.waiter = undefined;
        return w.resolve(m);
      }
    }
  }
}

/** Opens an official STREAM client connection to SPSP credentials over `plugin`. */
export async function connectClient(plugin: MemoryPlugin, credential: { destinationAccount: string; sharedSecret: Uint8Array }): Promise<any> {
  return IlpStream.createConnection({
    plugin,
    destinationAccount: credential.destinationAccount,
    sharedSecret: Buffer.from(credential.sharedSecret),
  });
}
