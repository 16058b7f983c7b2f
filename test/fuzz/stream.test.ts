// Fuzzes the STREAM receiver through its real seams: mutated STREAM packets (plaintext and ciphertext) inside valid
// ILP Prepares, sent over BTP to a credential from GET /pay/<pubkey>. Answers are F06 (no data), F00 or F99 with an
// encrypted Reject packet, or a Fulfill; the ledger, read to the unit, moved exactly the fulfilled amounts.
// FUZZ_SEED, FUZZ_SCALE, FUZZ_RUNS and FUZZ_CASE: see ./fuzz.ts.
import { randomBytes } from 'node:crypto';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conditionFromFulfillment,
  decodeStreamPacket,
  decrypt,
  encodeIlpPacket,
  encodeStreamPacket,
  encrypt,
  fulfillmentFromData,
  IlpPacketType,
  OerError,
  StreamFrameType as T,
  streamEncryptionKey,
  type IlpPrepare,
  type StreamPacket,
} from '../../src/ilp';
import type { StartedPeer } from '../../src/library';
import { RawBtpClient } from './btp-client';
import { fuzzAsync, runs, timeoutFor } from './fuzz';
import { ALICE, expectLedger, expiresSoon, ilpReply, message, startIlpPeer } from './ilp-peer';
import { mutate } from './mutate';
import { randomStreamPacket } from './values';

const RUNS = 1000;
const pubkey = getPublicKey(generateSecretKey());

let peer: StartedPeer;
let btp: RawBtpClient;

beforeAll(async () => {
  peer = await startIlpPeer();
  btp = await RawBtpClient.connect(`${peer.url}/btp`, ALICE);
});

afterAll(async () => {
  await btp?.close();
  await peer?.stop();
});

describe('STREAM payloads in ILP Prepares to a /pay/<pubkey> credential', () => {
  it(`${runs(RUNS)} mutated STREAM packets: F06, F00 or F99 with an encrypted Reject packet, or a Fulfill that credits exactly its amount`, async () => {
    const spsp = (await (await fetch(`${peer.httpUrl}/pay/${pubkey}`)).json()) as { destination_account: string; shared_secret: string };
    const destination: string = spsp.destination_account;
    const secret = new Uint8Array(Buffer.from(spsp.shared_secret, 'base64'));
    const key = streamEncryptionKey(secret);
    const seeds: StreamPacket[] = [
      {
        ilpPacketType: IlpPacketType.Prepare,
        sequence: 1n,
        prepareAmount: 0n,
        frames: [
          { type: T.StreamMoney, streamId: 1n, shares: 1n },
          { type: T.StreamData, streamId: 1n, offset: 0n, data: new TextEncoder().encode('["REQ","s",{"limit":1}]\n') },
        ],
      },
      { ilpPacketType: IlpPacketType.Prepare, sequence: 2n, prepareAmount: 0n, frames: [{ type: T.ConnectionMaxData, maxOffset: 100000n }] },
    ];

    let credited = 0n;
    await fuzzAsync('stream-wire', RUNS, async (rng, index, report) => {
      const plain = encodeStreamPacket(rng.chance(0.3) ? rng.pick(seeds) : randomStreamPacket(rng, IlpPacketType.Prepare));
      // Probes carry a random condition and can never be fulfilled; the others can, if the receiver accepts them.
      const paid = rng.chance(0.6);
      const probe = paid && rng.chance(0.5);
      const mutatedPlain = rng.chance(0.7);
      const sentPlain = mutatedPlain ? mutate(rng, plain) : plain;
      const sealed = encrypt(key, sentPlain);
      const data = mutatedPlain ? sealed : mutate(rng, sealed);
      report(sentPlain);
      const condition = probe ? randomBytes(32) : conditionFromFulfillment(fulfillmentFromData(secret, data));
      const prepare: IlpPrepare = { amount: paid ? BigInt(rng.int(1, 1000)) : 0n, expiresAt: expiresSoon(), executionCondition: condition, destination, data };
      const requestId = 2_000_000 + index;
      btp.send(message(requestId, encodeIlpPacket({ type: IlpPacketType.Prepare, ...prepare })));
      const reply = ilpReply(await btp.answer(requestId));

      // What the receiver can read: a mutated ciphertext may come out unchanged.
      const opened = decrypt(key, data);
      let sent: StreamPacket | undefined;
      try {
        sent = opened && decodeStreamPacket(opened);
      } catch (error) {
        if (!(error instanceof OerError)) throw error;
      }
      if (reply.type === IlpPacketType.Fulfill) {
        expect(probe).toBe(false);
        expect(sent?.ilpPacketType).toBe(IlpPacketType.Prepare);
        credited += prepare.amount;
        return;
      }
      if (reply.type !== IlpPacketType.Reject) throw new Error('expected a Fulfill or a Reject');
      if (!sent) {
        // undecryptable or malformed: F06, and nothing encrypted for a sender that may not hold the secret
        expect(reply).toMatchObject({ code: 'F06', data: new Uint8Array(0) });
        return;
      }
      if (sent.ilpPacketType !== IlpPacketType.Prepare) return void expect(reply.code).toBe('F00');
      expect(reply.code).toBe('F99');
      const answer = decodeStreamPacket(decrypt(key, reply.data)!);
      expect(answer).toMatchObject({ ilpPacketType: IlpPacketType.Reject, sequence: sent.sequence, prepareAmount: prepare.amount });
    });
    // Exactly the fulfilled amounts reached the pubkey's balance; rejected packets moved nothing.
    expectLedger(peer, credited, pubkey);
    if (runs(RUNS) >= 100) expect(credited, 'paid packets the receiver fulfilled').toBeGreaterThan(0n);
    // The credential still works for a well-formed packet.
    const ok = encrypt(key, encodeStreamPacket(seeds[1]));
    btp.send(message(9, encodeIlpPacket({ type: IlpPacketType.Prepare, amount: 0n, expiresAt: expiresSoon(), executionCondition: conditionFromFulfillment(fulfillmentFromData(secret, ok)), destination, data: ok })));
    expect(ilpReply(await btp.answer(9)).type).toBe(IlpPacketType.Fulfill);
  }, timeoutFor(RUNS));
});
