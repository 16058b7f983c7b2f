import { Initiator, ItemSetBuilder, Responder, type ItemSet } from '../../src/nostr/negentropy';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** A small seeded PRNG (mulberry32), so a failing random case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Record {
  timestamp: number;
  id: string;
}

/**
 * `n` random records; timestamps are drawn from a narrow window so many share a second (bounds then need id
 * prefixes), and ids are random 32 bytes.
 */
export function randomRecords(n: number, rand: () => number, window = Math.max(1, Math.floor(n / 4))): Record[] {
  const out: Record[] = [];
  const id = Buffer.alloc(32);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 32; k++) id[k] = Math.floor(rand() * 256);
    out.push({ timestamp: 1_700_000_000 + Math.floor(rand() * window), id: id.toString('hex') });
  }
  return out;
}

export function setOf(records: Iterable<Record>): ItemSet {
  const b = new ItemSetBuilder();
  for (const r of records) b.add(r.timestamp, r.id);
  return b.build();
}

/** Runs our initiator against our responder to the end; every message is checked against the frame limits. */
export function converge(
  client: ItemSet,
  server: ItemSet,
  limits: { client?: number; server?: number } = {},
): { have: Set<string>; need: Set<string>; rounds: number; messages: string[] } {
  const initiator = new Initiator(client, limits.client ?? 0);
  const responder = new Responder(server, limits.server ?? 0);
  const have = new Set<string>();
  const need = new Set<string>();
  const messages: string[] = [];
  let msg: Uint8Array | null = initiator.initiate();
  let rounds = 0;
  while (msg) {
    if (limits.client && msg.length > limits.client) throw new Error(`client message of ${msg.length} bytes`);
    messages.push(hex(msg));
    const r = responder.reply(msg);
    if (!r.ok) throw new Error(r.reason);
    if (limits.server && r.reply.length > limits.server) throw new Error(`server message of ${r.reply.length} bytes`);
    messages.push(hex(r.reply));
    const step = initiator.reconcile(r.reply);
    if (!step.ok) throw new Error(step.reason);
    for (const id of step.have) have.add(id);
    for (const id of step.need) need.add(id);
    msg = step.next;
    if (++rounds > 1000) throw new Error('no convergence after 1000 rounds');
  }
  return { have, need, rounds, messages };
}
