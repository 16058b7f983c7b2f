import { describe, expect, it } from 'vitest';
import { Initiator, Responder } from '../../src/nostr/negentropy';
import { bytes, converge, hex, prng, randomRecords, setOf, type Record } from './helpers';

/** Two sides drawn from one pool: `shared` on both, the rest split between them. */
function scenario(n: number, seed: number, shape: 'random' | 'same' | 'client-empty' | 'server-empty', window?: number) {
  const rand = prng(seed);
  const pool = randomRecords(n, rand, window);
  const client: Record[] = [];
  const server: Record[] = [];
  // A random overlap per scenario: P(both), then the rest split evenly.
  const pBoth = rand();
  for (const r of pool) {
    const x = rand();
    const side = shape === 'same' ? 'both' : shape === 'client-empty' ? 'server' : shape === 'server-empty' ? 'client' : x < pBoth ? 'both' : x < pBoth + (1 - pBoth) / 2 ? 'client' : 'server';
    if (side !== 'server') client.push(r);
    if (side !== 'client') server.push(r);
  }
  const ids = (rs: Record[]) => new Set(rs.map((r) => r.id));
  const inServer = ids(server);
  const inClient = ids(client);
  return {
    client: setOf(client),
    server: setOf(server),
    have: new Set(client.filter((r) => !inServer.has(r.id)).map((r) => r.id)),
    need: new Set(server.filter((r) => !inClient.has(r.id)).map((r) => r.id)),
  };
}

const SIZES = [0, 1, 100, 10_000];
const SHAPES = ['random', 'same', 'client-empty', 'server-empty'] as const;

describe('reconciliation, our initiator against our responder', () => {
  for (const n of SIZES) {
    for (const shape of SHAPES) {
      it(`${n} records, ${shape}: have and need are exactly the differences`, () => {
        for (const seed of n === 10_000 ? [1] : [1, 2, 3, 4, 5]) {
          const s = scenario(n, seed * 7919 + n, shape);
          const r = converge(s.client, s.server);
          expect(r.have).toEqual(s.have);
          expect(r.need).toEqual(s.need);
        }
      });
    }
  }

  it.each([
    ['one second for all', 1],
    ['timestamps spread over years', 100_000_000],
  ])('10,000 records with %s converge', (_, window) => {
    const s = scenario(10_000, 42, 'random', window);
    const r = converge(s.client, s.server);
    expect(r.have).toEqual(s.have);
    expect(r.need).toEqual(s.need);
  });

  it('identical sets of 10,000 finish in one round of 16 fingerprints', () => {
    const s = scenario(10_000, 9, 'same');
    const r = converge(s.client, s.server);
    expect(r.rounds).toBe(1);
    expect(r.messages[1]).toBe('61');
  });

  it.each([
    [4096, 4096],
    [4096, 60_000],
    [60_000, 4096],
  ])('frame size limits client %d / server %d: every message fits and the result is exact', (client, server) => {
    for (const [seed, shape] of [
      [11, 'random'],
      [12, 'client-empty'],
      [13, 'server-empty'],
    ] as const) {
      const s = scenario(10_000, seed, shape, 50);
      const r = converge(s.client, s.server, { client, server });
      expect(r.have).toEqual(s.have);
      expect(r.need).toEqual(s.need);
      // Sending the server's ~10,000 ids (320 KB) to an empty client takes one frame per ~120 ids at 4 KB.
      if (shape === 'client-empty' && server === 4096) expect(r.rounds).toBeGreaterThan(60);
    }
  });

  it('a one-record difference in 10,000 costs few rounds and small messages', () => {
    const rand = prng(5);
    const records = randomRecords(10_001, rand);
    const r = converge(setOf(records.slice(1)), setOf(records));
    expect([...r.need]).toEqual([records[0].id]);
    expect(r.have.size).toBe(0);
    expect(r.rounds).toBeLessThanOrEqual(4);
    expect(Math.max(...r.messages.map((m) => m.length / 2))).toBeLessThan(1200);
  });
});

// nostr-tools ships a port of the reference JavaScript implementation (not in its exports map, so by path).
interface NostrToolsNip77 {
  NegentropyStorageVector: new () => { insert(timestamp: number, id: string): void; seal(): void };
  Negentropy: new (
    storage: unknown,
    frameSizeLimit?: number,
  ) => { initiate(): string; reconcile(msg: string, onhave?: (id: string) => void, onneed?: (id: string) => void): string | null };
}
const nostrTools = async () => (await import('../../node_modules/nostr-tools/lib/esm/nip77.js' as string)) as NostrToolsNip77;

function theirInitiator(lib: NostrToolsNip77, records: Record[], frameSizeLimit: number) {
  const storage = new lib.NegentropyStorageVector();
  for (const r of records) storage.insert(r.timestamp, r.id);
  storage.seal();
  return new lib.Negentropy(storage, frameSizeLimit);
}

describe('against the reference algorithm (nostr-tools nip77, a port of hoytech/negentropy js)', () => {
  it.each([0, 1, 31, 32, 100, 1000, 10_000])('%d records: our initiator writes every message byte for byte as theirs', async (n) => {
    const lib = await nostrTools();
    const rand = prng(1000 + n);
    const pool = randomRecords(n * 2, rand);
    const clientRecords = pool.filter(() => rand() < 0.6);
    const server = new Responder(setOf(pool.filter(() => rand() < 0.6)));
    // No frame limit in the way: on overflow we resume from the range's lower bound, the reference from its upper.
    const ours = new Initiator(setOf(clientRecords));
    const theirs = theirInitiator(lib, clientRecords, 100_000_000);
    let mine: Uint8Array | null = ours.initiate();
    let their: string | null = theirs.initiate();
    let rounds = 0;
    while (mine) {
      expect(hex(mine)).toBe(their);
      const reply = server.reply(mine);
      if (!reply.ok) throw new Error(reply.reason);
      const step = ours.reconcile(reply.reply);
      if (!step.ok) throw new Error(step.reason);
      mine = step.next;
      their = theirs.reconcile(hex(reply.reply));
      rounds++;
    }
    expect(their).toBeNull();
    expect(rounds).toBeGreaterThan(0);
  });

  it('their initiator reconciles exactly against our responder, with frame limits on both sides', async () => {
    const lib = await nostrTools();
    for (const seed of [1, 2, 3]) {
      const rand = prng(seed);
      const pool = randomRecords(5000, rand, 300);
      const clientRecords = pool.filter(() => rand() < 0.7);
      const serverRecords = pool.filter(() => rand() < 0.7);
      const serverIds = new Set(serverRecords.map((r) => r.id));
      const clientIds = new Set(clientRecords.map((r) => r.id));
      const theirs = theirInitiator(lib, clientRecords, 4096);
      const server = new Responder(setOf(serverRecords), 4096);
      const have = new Set<string>();
      const need = new Set<string>();
      let msg: string | null = theirs.initiate();
      while (msg) {
        const reply = server.reply(bytes(msg));
        if (!reply.ok) throw new Error(reply.reason);
        expect(reply.reply.length).toBeLessThanOrEqual(4096);
        msg = theirs.reconcile(hex(reply.reply), (id) => have.add(id), (id) => need.add(id));
      }
      expect(have).toEqual(new Set([...clientIds].filter((id) => !serverIds.has(id))));
      expect(need).toEqual(new Set([...serverIds].filter((id) => !clientIds.has(id))));
    }
  });
});
