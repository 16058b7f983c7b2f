// Fuzzes the relay's NIP-01 parsing through a real WebSocket: valid messages mutated (wrong types, junk, huge
// numbers, unicode, deep nesting, long strings, broken JSON, invalid UTF-8, over the size limit). Each must get its
// documented answer, and the relay must go on serving. FUZZ_SEED, FUZZ_SCALE and FUZZ_CASE: see ./fuzz.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHex64 } from '../../src/nostr/event';
import { startPeer, type StartedPeer } from '../../src/library';
import { signer, TestClient } from '../helpers/client';
import type { Rng } from '../ilp/random';
import { fuzzAsync, runs, timeoutFor } from './fuzz';
import { junk, mutateJson, mutateText, type Json } from './json';

const RUNS = 1500;
const MAX_MESSAGE_BYTES = 16384;
const MAX_SUBID_LENGTH = 64;
/** NIP-01 machine-readable prefixes an OK false or CLOSED may start with. */
const PREFIX = /^(duplicate|pow|blocked|rate-limited|invalid|restricted|mute|error|auth-required|payment-required): /;

let peer: StartedPeer;
let client: TestClient;
let bases: Json[];

beforeAll(async () => {
  peer = await startPeer({
    MAX_MESSAGE_BYTES,
    MAX_SUBID_LENGTH,
    RATE_EVENTS_PER_IP: 0,
    RATE_EVENTS_PER_PUBKEY: 0,
    RATE_REQS_PER_IP: 0,
    RATE_COUNTS_PER_IP: 0,
  });
  client = await TestClient.connect(peer.url);
  const author = signer();
  const other = 'ab'.repeat(32);
  const events = [
    author.sign({ content: 'hello' }),
    author.sign({ kind: 0, content: '{"name":"fuzz"}' }),
    author.sign({ kind: 30023, tags: [['d', 'x'], ['t', 'fuzz']], content: 'long form' }),
    author.sign({ kind: 20001, content: 'ephemeral' }),
    author.sign({ kind: 1, tags: [['e', other], ['p', other, 'wss://x'], ['expiration', '9999999999']], content: '😀 é' }),
  ];
  bases = [
    ...events.map((e): Json => ['EVENT', e as unknown as Json]),
    ['REQ', 'sub', { kinds: [1], limit: 5 }],
    ['REQ', 'sub2', { authors: [author.pubkey], '#e': [other], since: 0, until: 2 ** 31 }, { ids: [events[0].id] }],
    ['REQ', 'search', { search: 'hello', kinds: [1, 30023] }],
    ['COUNT', 'count', { kinds: [0, 1] }],
    ['CLOSE', 'sub'],
    ['AUTH', author.sign({ kind: 22242, tags: [['relay', 'ws://localhost'], ['challenge', 'x']], content: '' }) as unknown as Json],
  ];
});

afterAll(async () => {
  await client?.close();
  await peer?.stop();
});

/** What the relay must answer to a message, worked out from the message alone. */
type Expected =
  | { answer: 'notice' }
  | { answer: 'ok'; id: string }
  | { answer: 'sub'; subId: string; done: 'EOSE' | 'COUNT' }
  | { answer: 'none' };

function expected(text: string | Buffer): Expected {
  if (typeof text !== 'string' || Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return { answer: 'notice' };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { answer: 'notice' };
  }
  if (!Array.isArray(msg) || typeof msg[0] !== 'string') return { answer: 'notice' };
  const subId = msg[1];
  switch (msg[0]) {
    case 'EVENT':
    case 'AUTH': {
      const id = typeof msg[1] === 'object' && msg[1] !== null ? (msg[1] as { id?: unknown }).id : undefined;
      return isHex64(id) ? { answer: 'ok', id } : { answer: 'notice' };
    }
    case 'REQ':
    case 'COUNT':
      if (typeof subId !== 'string' || subId.length === 0 || subId.length > MAX_SUBID_LENGTH) return { answer: 'notice' };
      return { answer: 'sub', subId, done: msg[0] === 'REQ' ? 'EOSE' : 'COUNT' };
    case 'CLOSE':
      return typeof subId === 'string' ? { answer: 'none' } : { answer: 'notice' };
    default:
      return { answer: 'notice' };
  }
}

/** A mutated message: mostly structure, sometimes text, bytes that are not UTF-8, or a size over the limit. */
function message(rng: Rng): string | Buffer {
  const base = rng.pick(bases);
  const value = rng.chance(0.9) ? mutateJson(rng, base, 2000) : base;
  let text = JSON.stringify(value);
  const roll = rng.int(0, 19);
  if (roll <= 2) text = mutateText(rng, text);
  if (roll === 3) {
    const bytes = Buffer.from(text);
    const at = rng.int(0, bytes.length);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from([rng.pick([0xff, 0xc3, 0xed, 0xf8])]), bytes.subarray(at)]);
  }
  if (roll === 4) text = JSON.stringify(['REQ', 'big', { '#t': [String(junk(rng, 100)), 'x'.repeat(MAX_MESSAGE_BYTES + rng.int(0, 1000))] }]);
  return text;
}

async function answerOf(want: Expected): Promise<void> {
  switch (want.answer) {
    case 'notice': {
      const [, text] = await client.next((m) => m[0] === 'NOTICE');
      expect(text).toMatch(/^invalid: /);
      return;
    }
    case 'ok': {
      const [, , accepted, reason] = await client.next((m) => m[0] === 'OK' && m[1] === want.id);
      if (!accepted) expect(reason).toMatch(PREFIX);
      return;
    }
    case 'sub': {
      const m = await client.next((x) => x[1] === want.subId && (x[0] === want.done || x[0] === 'CLOSED'));
      if (m[0] === 'CLOSED') expect(m[2]).toMatch(PREFIX);
      return;
    }
    case 'none':
      return;
  }
}

describe('NIP-01 messages over a real WebSocket', () => {
  it(`${runs(RUNS)} mutated messages each get their documented answer, and the relay keeps serving`, async () => {
    let notices = 0;
    await fuzzAsync('relay', RUNS, async (rng, _i, report) => {
      const sent = message(rng);
      report(typeof sent === 'string' ? sent : new Uint8Array(sent));
      const want = expected(sent);
      if (want.answer === 'notice') notices++;
      client.ws.send(sent);
      await answerOf(want);
    });
    // A normal REQ and EVENT still work, on this connection and a new one; nothing answered twice or with an error.
    expect((await client.req('after', { kinds: [1], limit: 1 })).closed).toBeUndefined();
    const fresh = await TestClient.connect(peer.url);
    expect((await fresh.publish(signer().sign({ content: 'still serving' })))[2]).toBe(true);
    await fresh.close();
    const received = client.messages.filter((m) => m[0] === 'NOTICE');
    expect(received.filter((m) => !String(m[1]).startsWith('invalid: '))).toEqual([]);
    expect(received.length).toBe(notices);
    expect(client.closed).toBeUndefined();
  }, timeoutFor(RUNS));
});
