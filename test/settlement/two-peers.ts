import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { decodeIlpPacket, encodeIlpPacket, IlpPacketType } from '../../src/ilp';
import type { ComposeOptions } from '../../src/peer/compose-peer';
import type { ChannelChain, SettlementChain } from '../../src/settlement/channel-chain';
import { startPeer, type StartedPeer } from '../../src/library';
import { bridgePeers } from '../helpers/btp-bridge';
import { readLedger } from '../helpers/ledger';
import { MemoryChain } from '../helpers/memory-chain';

const require = createRequire(import.meta.url);
const BtpPlugin = require('ilp-plugin-btp');

type Plugin = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendData(data: Buffer): Promise<Buffer>;
  registerDataHandler(h: (data: Buffer) => Promise<Buffer>): void;
};

export const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' as const;
/** Ledger units (ASSET_SCALE 9) per USDC unit (6 decimals). */
export const PER_TOKEN = 1000n;
const TOKEN_AB = 'b-logs-into-a-0123456789';
const TOKEN_BA = 'a-logs-into-b-0123456789';
const ALICE = 'alice-token-0123456789ab';
const BOB = 'bob-token-0123456789abcd';
const settlement = { chain: 'base', threshold: '1000000', settleTo: '0' };

/**
 * Two peers, A (test.a, with client alice) and B (test.b, with client bob), BTP-linked through a bridge, each
 * settling with the other on one in-memory chain with its own key. A restart keeps each one's DATA_DIR.
 */
export class TwoPeers {
  readonly chain = new MemoryChain();
  keyA = privateKeyToAccount(generatePrivateKey());
  keyB = privateKeyToAccount(generatePrivateKey());
  /** Other chains than the in-memory one (the real contract), per peer. */
  chains?: { a: SettlementChain; b: SettlementChain };
  readonly dirA = mkdtempSync(path.join(tmpdir(), 'settle-a-'));
  readonly dirB = mkdtempSync(path.join(tmpdir(), 'settle-b-'));
  a!: StartedPeer;
  b!: StartedPeer;
  alice!: Plugin;
  bob!: Plugin;
  private bridge?: { close(): Promise<void> };
  /** Wrap a peer's chain client (fault injection). */
  wrapChain: { a?: (c: ChannelChain) => ChannelChain; b?: (c: ChannelChain) => ChannelChain } = {};

  /** `settlement` overrides for B's entry of A (e.g. a redeemThreshold). */
  constructor(private readonly bSettles: Record<string, string> = {}) {
    this.chain.mint(this.keyA.address, 1_000_000_000n);
    this.chain.mint(this.keyB.address, 1_000_000_000n);
  }

  private options(which: 'a' | 'b', extra: ComposeOptions): ComposeOptions {
    const sc = this.chains?.[which] ?? this.chain.settlementChain(which === 'a' ? this.keyA : this.keyB, USDC);
    const wrap = this.wrapChain[which];
    return { settlementChains: [wrap ? { ...sc, chain: wrap(sc.chain) } : sc], settlementTickMs: 100, ...extra };
  }

  async startA(extra: ComposeOptions = {}): Promise<void> {
    this.a = await startPeer(
      {
        DATA_DIR: this.dirA,
        LOG_LEVEL: process.env.SETTLE_LOG ?? 'silent',
        DASHBOARD_USER: 'operator',
        DASHBOARD_PASSWORD: 'settle-dashboard-password',
        ILP_ADDRESS: 'test.a',
        ILP_PEERS: JSON.stringify([
          { id: 'b', token: TOKEN_AB, creditLimit: '5000000', routes: ['test.b'], settlement },
          { id: 'alice', token: ALICE, creditLimit: '1000000000000' },
        ]),
      },
      this.options('a', extra),
    );
  }

  async startB(extra: ComposeOptions = {}): Promise<void> {
    this.b = await startPeer(
      {
        DATA_DIR: this.dirB,
        LOG_LEVEL: process.env.SETTLE_LOG ?? 'silent',
        DASHBOARD_USER: 'operator',
        DASHBOARD_PASSWORD: 'settle-dashboard-password',
        ILP_ADDRESS: 'test.b',
        ILP_PEERS: JSON.stringify([
          { id: 'a', token: TOKEN_BA, creditLimit: '5000000', routes: ['test.a'], settlement: { ...settlement, ...this.bSettles } },
          { id: 'bob', token: BOB, creditLimit: '1000000000000' },
        ]),
      },
      this.options('b', extra),
    );
  }

  async link(): Promise<void> {
    this.bridge = await bridgePeers({ port: this.a.port, tokenForB: TOKEN_AB }, { port: this.b.port, tokenForA: TOKEN_BA });
  }

  async unlink(): Promise<void> {
    await this.bridge?.close();
    this.bridge = undefined;
  }

  /** Clients that fulfil every packet to them. */
  async clients(): Promise<void> {
    await Promise.all([this.alice?.disconnect(), this.bob?.disconnect()]);
    this.alice = new BtpPlugin({ server: `btp+ws://alice:${ALICE}@127.0.0.1:${this.a.port}/btp`, responseTimeout: 10_000 });
    this.bob = new BtpPlugin({ server: `btp+ws://bob:${BOB}@127.0.0.1:${this.b.port}/btp`, responseTimeout: 10_000 });
    for (const p of [this.alice, this.bob]) {
      p.registerDataHandler(async (data) => {
        const prepare = decodeIlpPacket(new Uint8Array(data));
        if (prepare.type !== IlpPacketType.Prepare) throw new Error('expected a prepare');
        return Buffer.from(encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment: Buffer.from(prepare.data.slice(0, 32)), data: new Uint8Array(0) }));
      });
    }
    await Promise.all([this.alice.connect(), this.bob.connect()]);
  }

  /** alice → A → B → bob (A comes to owe B), or bob → B → A → alice; returns the ILP result type. */
  async pay(from: 'alice' | 'bob', amount: bigint): Promise<number> {
    const fulfillment = randomBytes(32);
    const destination = from === 'alice' ? 'test.b.bob.x' : 'test.a.alice.x';
    const prepare = encodeIlpPacket({
      type: IlpPacketType.Prepare,
      amount,
      expiresAt: new Date(Date.now() + 20_000),
      executionCondition: createHash('sha256').update(fulfillment).digest(),
      destination,
      // the receiving client fulfils with the first 32 bytes of the data
      data: fulfillment,
    });
    const reply = await (from === 'alice' ? this.alice : this.bob).sendData(Buffer.from(prepare));
    return decodeIlpPacket(new Uint8Array(reply)).type;
  }

  /** What `of` owes `to` on the books of `on` (negative: `on` owes it), with the sum of that ledger. */
  books(on: 'a' | 'b') {
    const l = readLedger(on === 'a' ? this.dirA : this.dirB);
    try {
      const peer = l.account(on === 'a' ? 'assets/interledger/b' : 'assets/interledger/a');
      const s = l.account('assets/settlement');
      return { peerOwes: peer.debitsPosted - peer.creditsPosted, settlement: s.debitsPosted - s.creditsPosted, sum: l.sum() };
    } finally {
      l.close();
    }
  }

  async stop(): Promise<void> {
    await this.unlink();
    await Promise.all([this.alice?.disconnect(), this.bob?.disconnect()]);
    await Promise.all([this.a?.stop(), this.b?.stop()]);
  }

  cleanup(): void {
    rmSync(this.dirA, { recursive: true, force: true });
    rmSync(this.dirB, { recursive: true, force: true });
  }
}
