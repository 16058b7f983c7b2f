// Fuzzes ILP-over-HTTP through real HTTP: mutated bodies POSTed to /ilp, and mutated answers from an HTTP peer a
// Prepare was forwarded to. The server answers 200 with an ILP reply or 400 as documented, never crashes, and no
// money moves (the ledger is read to the unit from its database).
// FUZZ_SEED, FUZZ_SCALE, FUZZ_RUNS and FUZZ_CASE: see ./fuzz.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeIlpPacket, encodeIlpPacket, ildcpRequest, IlpPacketType, OerError, type IlpPrepare } from '../../src/ilp';
import { peerAccount } from '../../src/ledger/account-paths';
import { startPeer, type StartedPeer } from '../../src/library';
import { httpPeer, rafikiClient } from '../helpers/ilp-http';
import { readLedger } from '../helpers/ledger';
import type { Rng } from '../ilp/random';
import { fuzzAsync, runs, timeoutFor } from './fuzz';
import { expiresSoon } from './ilp-peer';
import { mutate, randomInput } from './mutate';
import { randomIlpPacket, rawIlpPacket } from './values';

const RUNS = 500;
/** Each forwarded Prepare waits for its pending transfer to reach the disk, so fewer of these. */
const REPLY_RUNS = 200;
const ALICE = 'alice-token-0123456789';

let peer: StartedPeer;
let bob: Awaited<ReturnType<typeof httpPeer>>;
let alice: ReturnType<typeof rafikiClient>;

beforeAll(async () => {
  bob = await httpPeer();
  peer = await startPeer({
    ILP_ADDRESS: 'test.peer',
    ILP_PEERS: JSON.stringify([
      { id: 'alice', token: ALICE, creditLimit: '1000000000000000' },
      { id: 'bob', token: 'bob-token-0123456789ab', creditLimit: '1000000', routes: ['g.bob'], http: { url: bob.url, token: 'to-bob' } },
    ]),
  });
  alice = rafikiClient(`${peer.httpUrl}/ilp`, ALICE);
});

afterAll(async () => {
  alice?.close();
  await peer?.stop();
  await bob?.close();
});

/** Nothing moved: no posted or pending amount on either peer's account, and the ledger sums to zero. */
function expectNoMoney(): void {
  const ledger = readLedger(peer.config.dataDir);
  try {
    const zero = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
    expect(ledger.account(peerAccount('alice'))).toEqual(zero);
    expect(ledger.account(peerAccount('bob'))).toEqual(zero);
    expect(ledger.sum()).toBe(0n);
  } finally {
    ledger.close();
  }
}

/** A Prepare that goes somewhere: ILDCP, heartbeat, unknown STREAM tokens, nowhere, expired, too big. */
function randomPrepare(rng: Rng): IlpPrepare {
  return rng.pick<() => IlpPrepare>([
    () => ildcpRequest(expiresSoon()),
    () => ({ amount: 0n, expiresAt: expiresSoon(), executionCondition: rng.bytes(32), destination: 'peer.heartbeat', data: rng.data(64) }),
    () => ({ amount: BigInt(rng.int(0, 1000)), expiresAt: expiresSoon(), executionCondition: rng.bytes(32), destination: `test.peer.${rng.address().split('.')[1]}`, data: rng.data(200) }),
    () => ({ amount: 10n, expiresAt: expiresSoon(), executionCondition: rng.bytes(32), destination: 'g.nowhere.at.all', data: new Uint8Array(0) }),
    () => ({ amount: 10n, expiresAt: new Date(Date.now() - 1000), executionCondition: rng.bytes(32), destination: 'test.peer.x', data: new Uint8Array(0) }),
    () => ({ amount: 2n ** 64n - 1n, expiresAt: expiresSoon(), executionCondition: rng.bytes(32), destination: 'test.peer.x', data: new Uint8Array(0) }),
  ])();
}

/** What /ilp owes a body, worked out with the codec: 200 with a reply for a Prepare, 400 for anything else. */
function expectedStatus(body: Uint8Array): number {
  try {
    return decodeIlpPacket(body).type === IlpPacketType.Prepare ? 200 : 400;
  } catch (error) {
    if (!(error instanceof OerError)) throw error;
    return 400;
  }
}

describe('POST /ilp', () => {
  it(`answers ${runs(RUNS)} mutated bodies with 200 and an ILP reply, or 400; no money moves`, async () => {
    await fuzzAsync('ilp-http body', RUNS, async (rng, _i, report) => {
      const prepare = encodeIlpPacket({ type: IlpPacketType.Prepare, ...randomPrepare(rng) });
      const body = rng.pick([
        () => prepare,
        () => mutate(rng, prepare, [encodeIlpPacket(randomIlpPacket(rng))]),
        () => rawIlpPacket(rng),
        () => randomInput(rng, [IlpPacketType.Prepare, IlpPacketType.Fulfill, IlpPacketType.Reject]),
      ])();
      report(body);
      const r = await alice.post(body);
      expect(r.status).toBe(expectedStatus(body));
      if (r.status === 200) expect(decodeIlpPacket(new Uint8Array(r.body)).type).not.toBe(IlpPacketType.Prepare);
      else expect(JSON.parse(String(r.body)).error).toMatch(/^invalid: /);
    });
    expectNoMoney();
  }, timeoutFor(RUNS));

  it(`rejects a Prepare forwarded to an HTTP peer whose answer is one of ${runs(REPLY_RUNS)} mutated replies or statuses; no money moves`, async () => {
    await fuzzAsync('ilp-http reply', REPLY_RUNS, async (rng, _i, report) => {
      const reply = rng.pick([
        () => encodeIlpPacket({ type: IlpPacketType.Fulfill, fulfillment: rng.bytes(32), data: rng.data(100) }),
        () => encodeIlpPacket(randomIlpPacket(rng)),
        () => rawIlpPacket(rng),
      ])();
      const answer = rng.chance(0.7) ? mutate(rng, reply) : reply;
      const status = rng.pick([200, 200, 200, 201, 204, 400, 404, 500, 503]);
      report(answer);
      bob.handler = () => ({ status, body: answer });
      const prepare = encodeIlpPacket({
        type: IlpPacketType.Prepare,
        amount: BigInt(rng.int(1, 1000)),
        expiresAt: expiresSoon(),
        executionCondition: rng.bytes(32),
        destination: 'g.bob.x',
        data: rng.data(50),
      });
      const r = await alice.post(prepare);
      expect(r.status).toBe(200);
      // a random condition is never met: whatever bob says, alice gets a Reject
      expect(decodeIlpPacket(new Uint8Array(r.body)).type).toBe(IlpPacketType.Reject);
    });
    expectNoMoney();
  }, timeoutFor(REPLY_RUNS));
});
