// The STREAM receiver's money: the official ilp-protocol-stream client paying SPSP credentials, and hand-made
// packets for each way a Prepare is refused. Real ledger on a temp database throughout.
import { randomBytes } from 'node:crypto';
import { npubEncode } from 'nostr-tools/nip19';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFulfill, type IlpReply } from '../../src/connector/local-receiver';
import {
  conditionFromFulfillment,
  decodeStreamPacket,
  decrypt,
  encodeStreamPacket,
  encrypt,
  fulfillmentFromData,
  IlpPacketType,
  StreamErrorCode,
  StreamFrameType as T,
  streamEncryptionKey,
  type IlpPrepare,
  type StreamFrame,
  type StreamPacket,
} from '../../src/ilp';
import { balanceAccount, peerAccount } from '../../src/ledger/account-paths';
import { spspResponse } from '../../src/payments/spsp';
import type { StreamCredential } from '../../src/payments/stream-credentials';
import { connectClient, Harness } from './harness';

const pubkey = getPublicKey(generateSecretKey());
const ALICE = peerAccount('alice');

let h: Harness;
afterEach(() => h.close());

/** GET through the SPSP handler, as a client would. */
function spsp(path: string): StreamCredential {
  const json = JSON.parse(spspResponse(path, h.credentials).body);
  return { destinationAccount: json.destination_account, sharedSecret: Buffer.from(json.shared_secret, 'base64') };
}

interface PacketOptions {
  amount?: bigint;
  prepareAmount?: bigint;
  sequence?: bigint;
  fulfillable?: boolean;
  type?: StreamPacket['ilpPacketType'];
  key?: Uint8Array;
}

/** A Prepare as a STREAM sender builds it. */
function prepareOf(c: StreamCredential, frames: StreamFrame[], o: PacketOptions = {}): IlpPrepare {
  const plain = encodeStreamPacket({
    ilpPacketType: o.type ?? IlpPacketType.Prepare,
    sequence: o.sequence ?? 1n,
    prepareAmount: o.prepareAmount ?? 0n,
    frames,
  });
  const data = encrypt(o.key ?? streamEncryptionKey(c.sharedSecret), plain);
  return {
    amount: o.amount ?? 0n,
    expiresAt: new Date(Date.now() + 30_000),
    executionCondition: o.fulfillable === false ? randomBytes(32) : conditionFromFulfillment(fulfillmentFromData(c.sharedSecret, data)),
    destination: c.destinationAccount,
    data,
  };
}

/** The STREAM packet in a reply's data. */
function opened(c: StreamCredential, reply: IlpReply): StreamPacket {
  const plain = decrypt(streamEncryptionKey(c.sharedSecret), reply.data);
  expect(plain).toBeDefined();
  return decodeStreamPacket(plain!);
}

const send = (prepare: IlpPrepare, peer = 'alice'): Promise<IlpReply> => h.handle(prepare, peer);

/** REQs read their stored events on the read workers: resolves once every answer under way has ended (EOSE or CLOSED). */
const answered = () =>
  vi.waitFor(() => {
    if (h.relay.storedAnswers > 0) throw new Error(`${h.relay.storedAnswers} stored answers under way`);
  }, { timeout: 10_000, interval: 2 });

function expectReject(reply: IlpReply, code: string) {
  expect(isFulfill(reply)).toBe(false);
  if (!isFulfill(reply)) expect(reply.code).toBe(code);
  return reply as Exclude<IlpReply, { fulfillment: Uint8Array }>;
}

function expectUntouched() {
  expect(h.balance(balanceAccount(pubkey))).toBe(0n);
  expect(h.balance('equity/owner')).toBe(0n);
  expect(h.ledger.balance(ALICE)!.debitsPosted).toBe(0n);
  expect(h.ledger.invariant().balanced).toBe(true);
}

describe('the official client pays', () => {
  beforeEach(() => {
    h = new Harness();
  });

  it('an exact amount to /pay/<pubkey>: the balance and the peer account move by exactly N', async () => {
    const plugin = h.plugin('alice');
    const conn = await connectClient(plugin, spsp(`/pay/${pubkey}`));
    const stream = conn.createStream();
    await stream.sendTotal(123_456_789);
    expect(stream.totalSent).toBe('123456789');
    expect(conn.totalDelivered).toBe('123456789');
    expect(conn.destinationAssetCode).toBe('USD');
    expect(conn.destinationAssetScale).toBe(9);
    expect(h.balance(balanceAccount(pubkey))).toBe(123_456_789n);
    expect(h.ledger.balance(ALICE)).toMatchObject({ debitsPosted: 123_456_789n, creditsPosted: 0n, debitsPending: 0n });
    expect(h.ledger.invariant()).toMatchObject({ posted: 0n, pending: 0n, balanced: true });
    // a second payment on the same connection adds up
    await stream.sendTotal(123_456_800);
    expect(h.balance(balanceAccount(pubkey))).toBe(123_456_800n);
    await conn.end();
  });

  it('to an npub and to upper-case hex: the same account', async () => {
    const plugin = h.plugin('alice');
    for (const [id, n] of [[npubEncode(pubkey), 1000], [pubkey.toUpperCase(), 2000]] as const) {
      const conn = await connectClient(plugin, spsp(`/pay/${id}`));
      await conn.createStream().sendTotal(n);
      await conn.end();
    }
    expect(h.balance(balanceAccount(pubkey))).toBe(3000n);
    expect(h.ledger.listAccounts('liabilities/')).toHaveLength(1);
  });

  it('the operator at /.well-known/pay: equity/owner', async () => {
    const conn = await connectClient(h.plugin('alice'), spsp('/.well-known/pay'));
    await conn.createStream().sendTotal(5000);
    expect(h.balance('equity/owner')).toBe(5000n);
    expect(h.ledger.listAccounts('liabilities/')).toHaveLength(0);
    expect(h.ledger.invariant().balanced).toBe(true);
    await conn.end();
  });

  it('over several streams at once, each credited to the unit', async () => {
    const conn = await connectClient(h.plugin('alice'), spsp(`/pay/${pubkey}`));
    const streams = [conn.createStream(), conn.createStream(), conn.createStream()];
    await Promise.all(streams.map((s: any, i: number) => s.sendTotal(1000 * (i + 1) + 7)));
    expect(streams.map((s: any) => s.totalSent)).toEqual(['1007', '2007', '3007']);
    expect(h.balance(balanceAccount(pubkey))).toBe(6021n);
    await conn.end();
  });
});

describe('credit limit', () => {
  it('a packet over the peer credit limit is rejected T04 and moves nothing', async () => {
    h = new Harness({ creditLimit: 1000n });
    h.plugin('alice');
    const c = spsp(`/pay/${pubkey}`);
    const stream: StreamFrame[] = [{ type: T.StreamMoney, streamId: 1n, shares: 1n }];
    const reply = expectReject(await send(prepareOf(c, stream, { amount: 1001n })), 'T04');
    expect(reply.data).toHaveLength(0);
    expectUntouched();
    expect(isFulfill(await send(prepareOf(c, stream, { amount: 1000n, sequence: 2n })))).toBe(true);
    expect(h.balance(balanceAccount(pubkey))).toBe(1000n);
    expectReject(await send(prepareOf(c, stream, { amount: 1n, sequence: 3n })), 'T04');
    expect(h.balance(balanceAccount(pubkey))).toBe(1000n);
  });

  it('the official client never gets more credited than it counts as sent', async () => {
    h = new Harness({ creditLimit: 1000n });
    const conn = await connectClient(h.plugin('alice'), spsp(`/pay/${pubkey}`));
    const stream = conn.createStream();
    await expect(stream.sendTotal(1500, { timeout: 1500 })).rejects.toThrow();
    const credited = h.balance(balanceAccount(pubkey));
    expect(credited).toBeLessThanOrEqual(1000n);
    expect(credited).toBe(BigInt(stream.totalSent));
    expect(h.ledger.invariant().balanced).toBe(true);
    conn.destroy();
  });
});

describe('refusals move no money', () => {
  let c: StreamCredential;
  beforeEach(() => {
    h = new Harness();
    h.plugin('alice');
    c = spsp(`/pay/${pubkey}`);
  });
  const money: StreamFrame[] = [{ type: T.StreamMoney, streamId: 1n, shares: 1n }];

  it('F02 for an address that is not <ILP_ADDRESS>.<token>', async () => {
    expectReject(await send({ ...prepareOf(c, money, { amount: 10n }), destination: 'test.other.x' }), 'F02');
    expectReject(await send({ ...prepareOf(c, money, { amount: 10n }), destination: 'test.peer' }), 'F02');
    expectUntouched();
  });

  it('F06 without STREAM data for a wrong shared secret, a forged token or tampered data', async () => {
    const wrong = prepareOf(c, money, { amount: 10n, key: streamEncryptionKey(randomBytes(32)) });
    expect(expectReject(await send(wrong), 'F06').data).toHaveLength(0);
    const other = spsp(`/pay/${pubkey}`);
    const forged = { ...prepareOf(c, money, { amount: 10n }), destination: `test.peer.${'A'.repeat(150)}` };
    expect(expectReject(await send(forged), 'F06').data).toHaveLength(0);
    // c's data sent to another connection's address: not decryptable there
    expect(expectReject(await send({ ...prepareOf(c, money, { amount: 10n }), destination: other.destinationAccount }), 'F06').data).toHaveLength(0);
    const tampered = prepareOf(c, money, { amount: 10n });
    tampered.data = Uint8Array.from(tampered.data);
    tampered.data[tampered.data.length - 1] ^= 1;
    expect(expectReject(await send(tampered), 'F06').data).toHaveLength(0);
    expect(h.receiver.connectionCount).toBe(0);
    expectUntouched();
  });

  it('F00 for a STREAM packet that is not of type Prepare', async () => {
    expect(expectReject(await send(prepareOf(c, money, { amount: 10n, type: IlpPacketType.Fulfill })), 'F00').data).toHaveLength(0);
    expectUntouched();
  });

  it('F99 with an encrypted Reject packet when the amount is below prepareAmount', async () => {
    const reply = expectReject(await send(prepareOf(c, money, { amount: 50n, prepareAmount: 100n, sequence: 7n })), 'F99');
    const p = opened(c, reply);
    expect(p).toMatchObject({ ilpPacketType: IlpPacketType.Reject, sequence: 7n, prepareAmount: 50n });
    expectUntouched();
  });

  it('F99 for an unfulfillable packet (a probe), telling the amount received and the asset', async () => {
    const reply = expectReject(
      await send(prepareOf(c, [{ type: T.ConnectionNewAddress, sourceAccount: 'test.peer.alice' }], { amount: 1000n, fulfillable: false, sequence: 3n })),
      'F99',
    );
    const p = opened(c, reply);
    expect(p).toMatchObject({ ilpPacketType: IlpPacketType.Reject, sequence: 3n, prepareAmount: 1000n });
    expect(p.frames).toContainEqual({ type: T.ConnectionAssetDetails, sourceAssetCode: 'USD', sourceAssetScale: 9 });
    expect(p.frames).toContainEqual({ type: T.ConnectionMaxStreamId, maxStreamId: 20n });
    expectUntouched();
  });

  it('F99 + StreamClose for money on a stream the client already closed', async () => {
    expect(isFulfill(await send(prepareOf(c, [...money, { type: T.StreamClose, streamId: 1n, errorCode: 1, errorMessage: '' }], { amount: 5n })))).toBe(true);
    const reply = expectReject(await send(prepareOf(c, money, { amount: 5n, sequence: 2n })), 'F99');
    expect(opened(c, reply).frames).toContainEqual({ type: T.StreamClose, streamId: 1n, errorCode: StreamErrorCode.StreamStateError, errorMessage: 'Stream is already closed' });
    expect(h.balance(balanceAccount(pubkey))).toBe(5n);
  });

  it('F99 + ConnectionClose for a server-side (even) stream id, or data past the window', async () => {
    let reply = expectReject(await send(prepareOf(c, [{ type: T.StreamMoney, streamId: 2n, shares: 1n }], { amount: 5n })), 'F99');
    expect(opened(c, reply).frames).toContainEqual(expect.objectContaining({ type: T.ConnectionClose, errorCode: StreamErrorCode.ProtocolViolation }));
    const d = spsp(`/pay/${pubkey}`);
    const far: StreamFrame = { type: T.StreamData, streamId: 1n, offset: 1n << 20n, data: new Uint8Array(10) };
    reply = expectReject(await send(prepareOf(d, [far], { amount: 5n })), 'F99');
    expect(opened(d, reply).frames).toContainEqual(expect.objectContaining({ type: T.ConnectionClose, errorCode: StreamErrorCode.FlowControlError }));
    expectUntouched();
  });
});

describe('fulfilled packets', () => {
  beforeEach(() => {
    h = new Harness();
    h.plugin('alice');
  });

  it('answer an encrypted Fulfill packet with the amount, limits per stream and money split by shares', async () => {
    const c = spsp(`/pay/${pubkey}`);
    const reply = await send(
      prepareOf(
        c,
        [
          { type: T.StreamMoney, streamId: 3n, shares: 2n },
          { type: T.StreamMoney, streamId: 1n, shares: 1n },
        ],
        { amount: 100n, prepareAmount: 99n, sequence: 9n },
      ),
    );
    expect(isFulfill(reply)).toBe(true);
    const p = opened(c, reply);
    expect(p).toMatchObject({ ilpPacketType: IlpPacketType.Fulfill, sequence: 9n, prepareAmount: 100n });
    const max = p.frames.filter((f) => f.type === T.StreamMaxMoney);
    // floor(100·2/3) = 66 on stream 3; 33 + the remainder 1 on the lowest id, stream 1
    expect(max).toEqual([
      { type: T.StreamMaxMoney, streamId: 3n, receiveMax: 2n ** 64n - 1n, totalReceived: 66n },
      { type: T.StreamMaxMoney, streamId: 1n, receiveMax: 2n ** 64n - 1n, totalReceived: 34n },
    ]);
    expect(p.frames.filter((f) => f.type === T.StreamMaxData).map((f) => f.streamId)).toEqual([3n, 1n]);
    expect(p.frames.some((f) => f.type === T.ConnectionMaxData)).toBe(true);
    expect(h.balance(balanceAccount(pubkey))).toBe(100n);
  });

  it('ConnectionClose closes the connection: F99 + ConnectionClose, its sessions dropped', async () => {
    const c = spsp(`/pay/${pubkey}`);
    const line = new TextEncoder().encode('["REQ","s",{"kinds":[1]}]\n');
    expect(isFulfill(await send(prepareOf(c, [{ type: T.StreamData, streamId: 1n, offset: 0n, data: line }])))).toBe(true);
    expect(h.relay.subscriptions.size).toBe(1);
    const reply = expectReject(await send(prepareOf(c, [{ type: T.ConnectionClose, errorCode: 1, errorMessage: '' }], { sequence: 2n, fulfillable: false })), 'F99');
    expect(opened(c, reply).frames).toContainEqual({ type: T.ConnectionClose, errorCode: StreamErrorCode.NoError, errorMessage: '' });
    expect(h.relay.subscriptions.size).toBe(0);
    expect(h.receiver.connectionCount).toBe(0);
  });

  it('the official client closing its connection drops the sessions', async () => {
    const conn = await connectClient(h.plugin('bob'), spsp(`/pay/${pubkey}`));
    const stream = conn.createStream();
    stream.write('["REQ","live",{"kinds":[1]}]\n');
    await stream.sendTotal(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.relay.subscriptions.size).toBe(1);
    await conn.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.relay.subscriptions.size).toBe(0);
    expect(h.receiver.connectionCount).toBe(0);
  });

  it('the least recently used connection is closed beyond maxConnections, with its sessions', async () => {
    await h.close();
    h = new Harness({ limits: { maxConnections: 2 } });
    h.plugin('alice');
    const req = (i: number) => new TextEncoder().encode(`["REQ","s${i}",{"kinds":[1]}]\n`);
    for (let i = 0; i < 3; i++) {
      await send(prepareOf(spsp(`/pay/${pubkey}`), [{ type: T.StreamData, streamId: 1n, offset: 0n, data: req(i) }]));
    }
    expect(h.receiver.connectionCount).toBe(2);
    expect(h.relay.subscriptions.size).toBe(2);
    // and close() (shutdown) closes the rest
    h.receiver.close();
    expect(h.receiver.connectionCount).toBe(0);
    expect(h.relay.subscriptions.size).toBe(0);
  });
});

const line = (text: string) => new TextEncoder().encode(`${text}\n`);
const dataOn = (streamId: bigint, text: string, offset = 0n): StreamFrame => ({ type: T.StreamData, streamId, offset, data: line(text) });

// Issue #13 item 5: state only for accepted packets, free connections bounded per peer, paying ones kept apart.
describe('connection state', () => {
  it('probes and refused packets leave no connection state', async () => {
    h = new Harness();
    h.plugin('alice');
    for (let i = 0; i < 50; i++) {
      const c = spsp(`/pay/${pubkey}`);
      expectReject(await send(prepareOf(c, [{ type: T.ConnectionNewAddress, sourceAccount: 'test.peer.alice' }], { fulfillable: false })), 'F99');
      expectReject(await send(prepareOf(c, [], { amount: 5n, prepareAmount: 10n, sequence: 2n })), 'F99');
    }
    expect(h.receiver.connectionCount).toBe(0);
  });

  it('the address a client announced in a probe is used once its first packet is accepted', async () => {
    h = new Harness();
    const client = h.plugin('alice');
    const got: IlpPrepare[] = [];
    client.registerDataHandler(async () => Buffer.from([14])); // anything: we only look at where pushes go
    h.plugins[0].deliver = async (p) => (got.push(p), { code: 'F99', triggeredBy: '', message: '', data: new Uint8Array(0) }) as IlpReply;
    const c = spsp(`/pay/${pubkey}`);
    await send(prepareOf(c, [{ type: T.ConnectionNewAddress, sourceAccount: 'test.peer.alice' }], { fulfillable: false }));
    expect(isFulfill(await send(prepareOf(c, [dataOn(1n, '["REQ","s",{"kinds":[1]}]')], { sequence: 2n })))).toBe(true);
    h.relay.handle(h.session(), JSON.stringify(['EVENT', JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: 'live' }, generateSecretKey())))]));
    for (let t = 0; t < 100 && got.length === 0; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got[0]?.destination).toBe('test.peer.alice');
  });

  it('a peer bound of one: each new free connection replaces the last, which keeps working until then', async () => {
    h = new Harness({ limits: { maxConnectionsPerPeer: 1 } });
    h.plugin('alice');
    for (let i = 0; i < 3; i++) {
      const c = spsp(`/pay/${pubkey}`);
      expect(isFulfill(await send(prepareOf(c, [dataOn(1n, `["REQ","s${i}",{"kinds":[1]}]`)])))).toBe(true);
      expect(isFulfill(await send(prepareOf(c, [{ type: T.StreamMaxData, streamId: 1n, maxOffset: 100_000n }], { sequence: 2n })))).toBe(true);
      expect(h.receiver.connectionCount).toBe(1);
      expect(h.relay.subscriptions.size).toBe(1);
    }
  });

  it('a paying session survives a flood of free connections; free ones are bounded per peer', async () => {
    // the connection rate off: this is about the bounds
    h = new Harness({ env: { RATE_CONNECTIONS_PER_IP: '0' }, limits: { maxConnections: 50, maxConnectionsPerPeer: 20 } });
    h.plugin('alice');
    h.plugin('bob');
    h.plugin('mallory');
    const paying = spsp(`/pay/${pubkey}`);
    const req = '["REQ","mine",{"kinds":[1]}]';
    const paid = await send(prepareOf(paying, [{ type: T.StreamMoney, streamId: 1n, shares: 1n }, dataOn(1n, req)], { amount: 10n }));
    expect(isFulfill(paid)).toBe(true);
    const freeOfBob = spsp(`/pay/${pubkey}`);
    expect(isFulfill(await send(prepareOf(freeOfBob, [dataOn(1n, '["REQ","bob",{"kinds":[1]}]')]), 'bob'))).toBe(true);
    expect(h.relay.subscriptions.size).toBe(2);

    for (let i = 0; i < 500; i++) {
      const c = spsp(`/pay/${getPublicKey(generateSecretKey())}`);
      expect(isFulfill(await send(prepareOf(c, [dataOn(1n, `["REQ","m${i}",{"kinds":[1]}]`)]), 'mallory'))).toBe(true);
    }
    // mallory holds at most its 20; the paying connection and bob's are still there with their sessions
    expect(h.receiver.connectionCount).toBe(22);
    expect(h.relay.subscriptions.size).toBe(22);
    const again = await send(prepareOf(paying, [dataOn(1n, '["REQ","more",{"ids":["' + '0'.repeat(64) + '"]}]', BigInt(line(req).length))], { sequence: 2n }));
    expect(isFulfill(again)).toBe(true);
    await answered();
    // the answer was read after that reply left: it comes in the next one
    const frames = [...opened(paying, again).frames, ...opened(paying, await send(prepareOf(paying, [], { sequence: 3n }))).frames];
    // same stream, same session: no StreamClose, and its answer is EOSE on stream 1
    expect(frames.some((f) => f.type === T.StreamClose || f.type === T.ConnectionClose)).toBe(false);
    const out = frames.filter((f) => f.type === T.StreamData).map((f) => new TextDecoder().decode((f as { data: Uint8Array }).data)).join('');
    expect(out).toContain('["EOSE","more"]');
    expect(isFulfill(await send(prepareOf(freeOfBob, [dataOn(1n, '["CLOSE","bob"]', BigInt(line('["REQ","bob",{"kinds":[1]}]').length))], { sequence: 2n }), 'bob'))).toBe(true);
    // 20 of mallory, "mine" and "more" of the paying session; bob's closed by its CLOSE, so its session was alive
    expect(h.relay.subscriptions.size).toBe(22);
  });
});

/** Stores `n` kind 1 notes of about `bytes` each, from another session, and waits until they are on disk. */
async function storeNotes(n: number, bytes: number) {
  const other = h.session();
  for (let i = 0; i < n; i++) {
    const ev = JSON.parse(JSON.stringify(finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: `${i} ${'y'.repeat(bytes)}` }, generateSecretKey())));
    h.relay.handle(other, JSON.stringify(['EVENT', ev]));
  }
  await h.relay.verified();
  h.writer.flush();
  await new Promise((r) => setTimeout(r, 10));
}

// Issue #13 item 8: one connection cannot hold most of the global output buffer; a rolled-back credit processes no data.
describe('bounds of a connection', () => {
  it('output queued over all streams of one connection is bounded: the stream that would pass it is closed', async () => {
    h = new Harness({ env: { MAX_LIMIT: '500' }, limits: { maxBufferedOutput: 64 * 1024, maxBufferedPerConnection: 50_000 } });
    h.plugin('alice');
    await storeNotes(20, 1000);
    const c = spsp(`/pay/${pubkey}`);
    const closes: StreamFrame[] = [];
    for (const [i, id] of [1n, 3n, 5n].entries()) {
      const reply = await send(prepareOf(c, [dataOn(id, `["REQ","r${id}",{"kinds":[1]}]`)], { sequence: BigInt(i + 1) }));
      expect(isFulfill(reply)).toBe(true);
      closes.push(...opened(c, reply).frames.filter((f) => f.type === T.StreamClose));
      await answered();
    }
    closes.push(...opened(c, await send(prepareOf(c, [], { sequence: 4n }))).frames.filter((f) => f.type === T.StreamClose));
    // ~28 KB of answer per REQ, 16 KB of it sent (the client's window): 12 + 28 fit in 50 000, the third does not
    expect(closes).toEqual([{ type: T.StreamClose, streamId: 5n, errorCode: StreamErrorCode.ApplicationError, errorMessage: 'too much unread data on this stream' }]);
    expect(h.receiver.bufferedBytes).toBeLessThanOrEqual(50_000);
    expect(h.relay.subscriptions.size).toBe(2);
  });

  it('at the global bound, the connection holding the most unread output loses its streams, not the writer', async () => {
    h = new Harness({ env: { MAX_LIMIT: '500' }, limits: { maxBufferedOutput: 64 * 1024, maxBufferedPerConnection: 50_000, maxBufferedTotal: 60_000 } });
    h.plugin('alice');
    await storeNotes(20, 1000);
    const closesIn = (c: StreamCredential, reply: IlpReply) => opened(c, reply).frames.filter((f) => f.type === T.StreamClose);
    // the hog: two REQs it never reads, ~40 KB queued
    const hog = spsp(`/pay/${pubkey}`);
    for (const [i, id] of [1n, 3n].entries()) {
      expect(closesIn(hog, await send(prepareOf(hog, [dataOn(id, `["REQ","h${id}",{"kinds":[1]}]`)], { sequence: BigInt(i + 1) })))).toEqual([]);
      await answered();
    }
    // a reader: its first REQ fits (12 KB queued), its second would pass 60 000 in all
    const reader = spsp(`/pay/${pubkey}`);
    for (const [i, id] of [1n, 3n].entries()) {
      expect(closesIn(reader, await send(prepareOf(reader, [dataOn(id, `["REQ","r${id}",{"kinds":[1]}]`)], { sequence: BigInt(i + 1) })))).toEqual([]);
      await answered();
    }
    expect(h.receiver.bufferedBytes).toBeLessThanOrEqual(60_000);
    const told = closesIn(hog, await send(prepareOf(hog, [], { sequence: 3n })));
    expect(told.map((f) => f.streamId)).toEqual([1n, 3n]);
    expect(h.relay.subscriptions.size).toBe(2);
  });

  it('a paid packet whose credit is rolled back is rejected and its lines are not processed', async () => {
    h = new Harness({ viaConnector: ['alice'] });
    h.plugin('alice');
    const c = spsp(`/pay/${pubkey}`);
    const p = prepareOf(c, [{ type: T.StreamMoney, streamId: 1n, shares: 1n }, dataOn(1n, '["REQ","s",{"kinds":[1]}]')], { amount: 10n });
    const reply = h.connector!.handlePrepare('alice', p);
    queueMicrotask(() => {
      try {
        h.committer.run(() => {
          throw new Error('disk I/O error'); // another write of the credit's turn fails: the turn rolls back
        });
      } catch {
        /* rolled back */
      }
    });
    expectReject(await reply, 'T00');
    await new Promise((r) => setTimeout(r, 10));
    expect(h.relay.subscriptions.size).toBe(0);
    expectUntouched();
  });
});

// Issue #13 item 3: paid sessions count against the per-IP limits, keyed by the ILP peer their packets came from.
describe('per-peer limits of paid sessions', () => {
  it('new connections without money come at RATE_CONNECTIONS_PER_IP per peer (T05 beyond); with money always', async () => {
    h = new Harness({ env: { RATE_CONNECTIONS_PER_IP: '2/600' } });
    h.plugin('alice');
    h.plugin('bob');
    const req = dataOn(1n, '["REQ","s",{"kinds":[1]}]');
    for (let i = 0; i < 2; i++) expect(isFulfill(await send(prepareOf(spsp(`/pay/${pubkey}`), [req])))).toBe(true);
    const refused = expectReject(await send(prepareOf(spsp(`/pay/${pubkey}`), [req])), 'T05');
    expect(refused.data).toHaveLength(0);
    expect(h.relay.subscriptions.size).toBe(2);
    // paying is never refused for the rate, and another peer has its own allowance
    expect(isFulfill(await send(prepareOf(spsp(`/pay/${pubkey}`), [{ type: T.StreamMoney, streamId: 1n, shares: 1n }, req], { amount: 3n })))).toBe(true);
    expect(isFulfill(await send(prepareOf(spsp(`/pay/${pubkey}`), [req]), 'bob'))).toBe(true);
    expect(h.receiver.connectionCount).toBe(4);
    expect(h.balance(balanceAccount(pubkey))).toBe(3n);
  });

  it('REQs of every session through one peer share its RATE_REQS_PER_IP allowance; another peer has its own', async () => {
    h = new Harness({ env: { RATE_REQS_PER_IP: '3/600' } });
    h.plugin('alice');
    h.plugin('bob');
    const answers = async (c: StreamCredential, peer: string, ids: string[], sequence: bigint) => {
      const text = ids.map((id) => `["REQ","${id}",{"ids":["${'0'.repeat(64)}"]}]\n`).join('');
      const reply = await send(prepareOf(c, [{ type: T.StreamData, streamId: 1n, offset: 0n, data: new TextEncoder().encode(text) }], { sequence }), peer);
      await answered();
      // a refusal leaves in this reply; the stored answers, read on the workers, in the next one
      const later = await send(prepareOf(c, [], { sequence: sequence + 1n }), peer);
      const frames = [...opened(c, reply).frames, ...opened(c, later).frames];
      const out = frames.filter((f) => f.type === T.StreamData).map((f) => new TextDecoder().decode((f as { data: Uint8Array }).data)).join('');
      return out.trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
    };
    const first = await answers(spsp(`/pay/${pubkey}`), 'alice', ['a', 'b', 'c', 'd'], 1n);
    expect(first).toHaveLength(4);
    expect(first).toContainEqual(['CLOSED', 'd', 'rate-limited: too many REQs from your address; slow down']);
    for (const id of ['a', 'b', 'c']) expect(first).toContainEqual(['EOSE', id]);
    // a new connection (a fresh credential) through the same peer does not get a new allowance
    expect((await answers(spsp(`/pay/${pubkey}`), 'alice', ['e'], 1n))[0][0]).toBe('CLOSED');
    expect((await answers(spsp(`/pay/${pubkey}`), 'bob', ['f'], 1n))[0]).toEqual(['EOSE', 'f']);
  });
});
