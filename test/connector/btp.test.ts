import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  BtpMessageType,
  decodeAmountTooLargeData,
  decodeBtpPacket,
  decodeIlpPacket,
  encodeBtpPacket,
  encodeIlpPacket,
  IlpPacketType,
  btpAuthMessage,
  type IlpPrepare,
} from '../../src/ilp';
import { startPeer, type StartedPeer } from '../../src/library';
import { readLedger } from '../helpers/ledger';

const require = createRequire(import.meta.url);
// The official client side: ilp-plugin-btp (and ILDCP through it).
const BtpPlugin = require('ilp-plugin-btp');
const ILDCP = require('ilp-protocol-ildcp');

type Plugin = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendData(data: Buffer): Promise<Buffer>;
  registerDataHandler(h: (data: Buffer) => Promise<Buffer>): void;
};

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789ab';
let peer: StartedPeer;

const plugin = (token: string): Plugin => new BtpPlugin({ server: `btp+ws://user:${token}@127.0.0.1:${peer.port}/btp`, responseTimeout: 5000 });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

function prepare(over: Partial<IlpPrepare> & { fulfillment?: Uint8Array } = {}): Buffer {
  const { fulfillment = randomBytes(32), ...rest } = over;
  return Buffer.from(
    encodeIlpPacket({
      type: IlpPacketType.Prepare,
      amount: 100n,
      expiresAt: new Date(Date.now() + 10_000),
      executionCondition: sha256(fulfillment),
      destination: 'g.bob.wallet',
      data: new Uint8Array(0),
      ...rest,
    }),
  );
}

const reply = (bytes: Buffer) => decodeIlpPacket(new Uint8Array(bytes));

beforeAll(async () => {
  peer = await startPeer({
    ILP_ADDRESS: 'test.peer',
    ILP_MAX_PACKET_AMOUNT: '5000',
    ILP_PEERS: JSON.stringify([
      { id: 'alice', token: ALICE, creditLimit: '1000' },
      { id: 'bob', token: BOB, creditLimit: '0', routes: ['g.bob'] },
    ]),
  });
});
afterAll(() => peer.stop());

describe('BTP server', () => {
  it('refuses a wrong token with a BTP error and closes', async () => {
    const ws = new WebSocket(`${peer.url}/btp`);
    await new Promise((r) => ws.once('open', r));
    const answer = new Promise<Buffer>((r) => ws.once('message', (d) => r(d as Buffer)));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(encodeBtpPacket(btpAuthMessage(7, { token: 'wrong-token-000000000', username: '' })));
    const packet = decodeBtpPacket(new Uint8Array(await answer));
    expect(packet).toMatchObject({ type: BtpMessageType.Error, requestId: 7, code: 'F00', name: 'NotAcceptedError' });
    expect(await closed).toBe(1008);
  });

  it('refuses anything but auth first', async () => {
    const ws = new WebSocket(`${peer.url}/btp`);
    await new Promise((r) => ws.once('open', r));
    const answer = new Promise<Buffer>((r) => ws.once('message', (d) => r(d as Buffer)));
    ws.send(encodeBtpPacket({ type: BtpMessageType.Message, requestId: 1, protocolData: [] }));
    expect(decodeBtpPacket(new Uint8Array(await answer))).toMatchObject({ type: BtpMessageType.Error, code: 'F00' });
  });

  it('the official plugin fails to connect with a wrong token', async () => {
    const p = plugin('not-a-configured-token');
    await expect(p.connect()).rejects.toThrow();
  });

  it('answers ILDCP with <ILP_ADDRESS>.<peer id> and the asset, to several connections of one peer', async () => {
    const a1 = plugin(ALICE);
    const a2 = plugin(ALICE);
    await Promise.all([a1.connect(), a2.connect()]);
    for (const p of [a1, a2]) {
      const info = await ILDCP.fetch(p.sendData.bind(p));
      expect(info).toEqual({ clientAddress: 'test.peer.alice', assetScale: 9, assetCode: 'USD' });
    }
    await Promise.all([a1.disconnect(), a2.disconnect()]);
  });
});

describe('connector', () => {
  let alice: Plugin;
  let bob: Plugin;
  let bobHandler: (prepare: IlpPrepare) => Promise<Uint8Array | 'hang'>;

  beforeAll(async () => {
    alice = plugin(ALICE);
    bob = plugin(BOB);
    bob.registerDataHandler(async (data) => {
      const p = decodeIlpPacket(new Uint8Array(data));
      if (p.type !== IlpPacketType.Prepare) throw new Error('expected a prepare');
      const out = await bobHandler(p);
      if (out === 'hang') return new Promise<Buffer>(() => {});
      return Buffer.from(out);
    });
    await Promise.all([alice.connect(), bob.connect()]);
  });
  afterAll(() => Promise.all([alice.disconnect(), bob.disconnect()]));

  const balances = () => {
    const l = readLedger(peer.config.dataDir);
    const a = l.account('assets/interledger/alice');
    const b = l.account('assets/interledger/bob');
    const sum = l.sum();
    l.close();
    return { alice: a.debitsPosted - a.creditsPosted, bob: b.creditsPosted - b.debitsPosted, pending: a.debitsPending + b.creditsPending, sum };
  };

  it('forwards a Prepare to the peer owning the route, checks the fulfillment, and posts the money', async () => {
    const before = balances();
    const fulfillment = randomBytes(32);
    let seen: IlpPrepare | undefined;
    bobHandler = async (p) => {
      seen = p;
      return encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment, data: new TextEncoder().encode('thanks') });
    };
    const r = reply(await alice.sendData(prepare({ amount: 250n, fulfillment })));
    expect(r).toMatchObject({ type: IlpPacketType.Fulfill, fulfillment: new Uint8Array(fulfillment) });
    expect(seen?.destination).toBe('g.bob.wallet');
    expect(seen!.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 9_000);
    const after = balances();
    expect(after.alice - before.alice).toBe(250n);
    expect(after.bob - before.bob).toBe(250n);
    expect(after.pending).toBe(0n);
    expect(after.sum).toBe(0n);
  });

  it('rejects F05 and moves nothing when the fulfillment does not match the condition', async () => {
    const before = balances();
    bobHandler = async () => encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment: randomBytes(32), data: new Uint8Array(0) });
    expect(reply(await alice.sendData(prepare()))).toMatchObject({ type: IlpPacketType.Reject, code: 'F05' });
    expect(balances()).toEqual(before);
  });

  it("relays the next hop's Reject and moves nothing", async () => {
    const before = balances();
    bobHandler = async () =>
      encodeIlpPacket({ type: IlpPacketType.Reject, code: 'F99', triggeredBy: 'g.bob', message: 'no thanks', data: new Uint8Array([1, 2]) });
    expect(reply(await alice.sendData(prepare()))).toMatchObject({ type: IlpPacketType.Reject, code: 'F99', triggeredBy: 'g.bob', message: 'no thanks' });
    expect(balances()).toEqual(before);
  });

  it('rejects R00 and voids when the next hop does not answer before expiry', async () => {
    const before = balances();
    bobHandler = async () => 'hang';
    const r = reply(await alice.sendData(prepare({ expiresAt: new Date(Date.now() + 1_600) })));
    expect(r).toMatchObject({ type: IlpPacketType.Reject, code: 'R00' });
    expect(balances()).toEqual(before);
  });

  it('rejects T04 beyond the sender\'s credit limit, and moves nothing', async () => {
    const before = balances();
    bobHandler = async () => encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment: randomBytes(32), data: new Uint8Array(0) });
    // alice already owes 250 of her 1000
    expect(reply(await alice.sendData(prepare({ amount: 751n })))).toMatchObject({ type: IlpPacketType.Reject, code: 'T04' });
    expect(balances()).toEqual(before);
  });

  it('rejects R02 for an expired or too short-lived Prepare', async () => {
    expect(reply(await alice.sendData(prepare({ expiresAt: new Date(Date.now() - 1000) })))).toMatchObject({ code: 'R02', triggeredBy: 'test.peer' });
    expect(reply(await alice.sendData(prepare({ expiresAt: new Date(Date.now() + 500) })))).toMatchObject({ code: 'R02' });
  });

  it('rejects F08 with the amounts above ILP_MAX_PACKET_AMOUNT', async () => {
    const r = reply(await alice.sendData(prepare({ amount: 5001n })));
    expect(r).toMatchObject({ type: IlpPacketType.Reject, code: 'F08' });
    if (r.type !== IlpPacketType.Reject) throw new Error('expected a reject');
    expect(decodeAmountTooLargeData(r.data)).toEqual({ receivedAmount: 5001n, maximumAmount: 5000n });
  });

  it('rejects F02 for an unknown destination, and for a route back to the sender', async () => {
    expect(reply(await alice.sendData(prepare({ destination: 'g.nowhere' })))).toMatchObject({ code: 'F02' });
    bobHandler = async () => encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment: randomBytes(32), data: new Uint8Array(0) });
    expect(reply(await bob.sendData(prepare({ destination: 'g.bob.x' })))).toMatchObject({ code: 'F02' });
  });

  it('rejects T01 when the next peer is not connected', async () => {
    await bob.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    expect(reply(await alice.sendData(prepare()))).toMatchObject({ code: 'T01' });
    await bob.connect();
  });

  it('keeps the ledger balanced and reports it in /health', async () => {
    expect(balances().sum).toBe(0n);
    const h = (await (await fetch(`${peer.httpUrl}/health`)).json()) as { services: { ledger: string } };
    expect(h.services.ledger).toBe('ok');
  });
});
