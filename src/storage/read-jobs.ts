import type { Filter } from '../nostr/filter';
import type { Visibility } from './query';

/** What the event loop asks a read worker (read-worker.ts) to do; each job is one bounded piece of work. */
export type ReadJob =
  /** A REQ's stored answer, as keys in serving order (EventReader.keys), with its first batch (up to `maxBytes`). */
  | { kind: 'keys'; filters: Filter[]; defaultLimit: number; now: number; visibility?: Visibility; maxRows: number; maxBytes: number }
  /** The next batch of a REQ's answer: raw JSON of `seqs` in order, up to `maxBytes` (EventReader.raws). */
  | { kind: 'raws'; seqs: Float64Array; maxBytes: number }
  /** NIP-45 COUNT. */
  | { kind: 'count'; filters: Filter[]; cap: number; now: number; visibility?: Visibility }
  /** NIP-77: the record set of a NEG-OPEN, built and sorted on the worker. */
  | { kind: 'negentropy'; filter: Filter; limit: number; now: number; visibility?: Visibility }
  /** The dashboard's totals: stored events and distinct authors (two index walks). */
  | { kind: 'storeCounts' };

export interface RawsAnswer {
  raws: string[];
  taken: number;
}
/** All the keys, and the first batch: most answers fit in it, so one round trip to the worker serves them. */
export interface KeysAnswer {
  seqs: Float64Array;
  cut: boolean;
  first: RawsAnswer;
}
export interface CountAnswer {
  count: number;
  capped: boolean;
}
export interface StoreCountsAnswer {
  events: number;
  pubkeys: number;
}
/** An ItemSet's arrays (moved, not copied, when they own their memory). */
export interface NegentropyAnswer {
  timestamps: Float64Array;
  ids: Uint8Array;
  sums: Uint32Array;
}

export interface ReadAnswers {
  keys: KeysAnswer;
  raws: RawsAnswer;
  count: CountAnswer;
  negentropy: NegentropyAnswer;
  storeCounts: StoreCountsAnswer;
}

/** A worker's reply to one job. */
export type ReadReply = { ok: true; value: unknown } | { ok: false; error: string };
