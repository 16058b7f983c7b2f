import { verifySchnorr } from 'tiny-secp256k1';
import { loadAddon } from '../native';

interface NativeVerifier {
  verify(id: Buffer, pubkey: Buffer, sig: Buffer): boolean;
  /** Verifies n records of id|pubkey|sig (128 bytes each) on libuv's thread pool into results[i] (1 or 0). */
  verifyBatch(items: Buffer, results: Buffer, done: () => void): void;
}

interface Verifier {
  name: string;
  fallbackReason?: string;
  verify(id: Buffer, pubkey: Buffer, sig: Buffer): boolean;
  verifyBatch?: NativeVerifier['verifyBatch'];
}

/**
 * BIP-340 verification of an event's signature over its 32-byte id. The fastest option here is our N-API addon
 * over the system libsecp256k1 (native/secp256k1, ~7× WASM, see bench/verify.mjs), which can also verify off the
 * event loop; where it was not built or cannot load, tiny-secp256k1 (libsecp256k1 compiled to WASM, the fastest
 * verifier on npm) takes over, on the event loop.
 */
function chooseVerifier(): Verifier {
  let reason = 'native addon not built';
  try {
    const native = loadAddon<NativeVerifier>('nostr_secp256k1.node', 'native/secp256k1/build/Release');
    if (native) return { name: 'native libsecp256k1', verify: native.verify, verifyBatch: native.verifyBatch };
  } catch (err) {
    reason = `native addon failed to load: ${(err as Error).message.split('\n')[0]}`;
  }
  return {
    name: 'wasm (tiny-secp256k1)',
    fallbackReason: reason,
    verify: (id, pk, sig) => {
      try {
        return verifySchnorr(id, pk, sig);
      } catch {
        // tiny-secp256k1 throws for a pubkey that is not on the curve: that is just an invalid signature
        return false;
      }
    },
  };
}

export const verifier = chooseVerifier();

export function verifySignature(idHex: string, pubkeyHex: string, sigHex: string): boolean {
  return verifier.verify(Buffer.from(idHex, 'hex'), Buffer.from(pubkeyHex, 'hex'), Buffer.from(sigHex, 'hex'));
}

type Answer = (valid: boolean) => void;

interface Batch {
  answers: Answer[];
  results?: Buffer;
}

/** Records per thread-pool task: small enough that a burst spreads over the pool's threads. */
const BATCH = 64;
const RECORD = 128;
/**
 * Checks waiting at most: about 0.2 s of work for the addon on two cores (bench/verify.mjs). Verifying no longer
 * blocks the loop, so without a bound a flood would be read off the sockets faster than it is verified and queue
 * up in memory; past it, events are refused until the queue drains.
 */
export const MAX_PENDING_CHECKS = 8192;

/**
 * The signature checks of the relay's hot path. Checks asked for in one event-loop turn are verified together
 * just after it; with the native addon that happens on libuv's thread pool, so the event loop (parsing, storing,
 * fanning out) runs beside verification on another core. Answers come in the order asked, so one connection's
 * events keep their order. Without the addon each batch is verified at once on the loop, the same way.
 */
export class VerifyQueue {
  private queued: { id: string; pubkey: string; sig: string; answer: Answer }[] = [];
  private readonly inFlight: Batch[] = [];
  private asked = 0;
  private answered = 0;
  private waiting: { upTo: number; resolve: () => void }[] = [];

  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly v: Verifier = verifier,
    private readonly limit = MAX_PENDING_CHECKS,
  ) {}

  /** Checks asked for and not answered yet. */
  get pending(): number {
    return this.asked - this.answered;
  }

  /**
   * Asks whether `sig` is `pubkey`'s signature of `id` (hex, already checked for length); `answer` runs later.
   * False, and no answer, when `limit` checks are already waiting.
   */
  verify(id: string, pubkey: string, sig: string, answer: Answer): boolean {
    if (this.pending >= this.limit) return false;
    if (this.queued.length === 0) setImmediate(() => this.flush());
    this.queued.push({ id, pubkey, sig, answer });
    this.asked++;
    return true;
  }

  /** Resolves once every check asked for so far has been answered (later ones are not waited for). */
  idle(): Promise<void> {
    if (this.answered === this.asked) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ upTo: this.asked, resolve }));
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = [];
    // every batch in line before any is verified, so one verified at once (without the addon) is not the last
    const batches: { batch: Batch; items: Buffer; results: Buffer }[] = [];
    for (let start = 0; start < queued.length; start += BATCH) {
      const part = queued.slice(start, start + BATCH);
      // zeroed: a record whose hex did not fully decode (cannot happen after checkShape) stays all zero, invalid
      const items = Buffer.alloc(part.length * RECORD);
      let at = 0;
      for (const q of part) {
        items.write(q.id, at, 32, 'hex');
        items.write(q.pubkey, at + 32, 32, 'hex');
        items.write(q.sig, at + 64, 64, 'hex');
        at += RECORD;
      }
      const batch: Batch = { answers: part.map((q) => q.answer) };
      this.inFlight.push(batch);
      batches.push({ batch, items, results: Buffer.alloc(part.length) });
    }
    for (const { batch, items, results } of batches) {
      const complete = () => {
        batch.results = results;
        this.answerReady();
      };
      if (this.v.verifyBatch) {
        this.v.verifyBatch(items, results, complete);
      } else {
        for (let i = 0; i < results.length; i++) {
          const r = items.subarray(i * RECORD);
          results[i] = this.v.verify(r.subarray(0, 32), r.subarray(32, 64), r.subarray(64, RECORD)) ? 1 : 0;
        }
        complete();
      }
    }
  }

  /** Answers the finished batches at the head of the line, in order. */
  private answerReady(): void {
    while (this.inFlight.length > 0 && this.inFlight[0].results) {
      const { answers, results } = this.inFlight.shift()!;
      for (let i = 0; i < answers.length; i++) {
        this.answered++;
        try {
          answers[i](results![i] === 1);
        } catch (err) {
          // one failing answer must not cost the others theirs
          this.onError(err);
        }
      }
    }
    if (this.waiting.length > 0) {
      const done = this.waiting.filter((w) => w.upTo <= this.answered);
      this.waiting = this.waiting.filter((w) => w.upTo > this.answered);
      for (const w of done) w.resolve();
    }
  }
}
